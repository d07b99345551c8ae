// An operation's EntityManager, forked from the ORM's only when the operation first needs one of its own:
// a warm callLlm sends its two statements through the pool (executeBound) and never touches an identity
// map or a unit of work, yet building a fork (its unit of work, entity factory, loader, filters) was 2% of
// a call's CPU. Until then, what every fork shares with its root (the configuration, the driver and its
// connection, the metadata) is answered by the root, and no transaction can be open: only a fork starts
// one. Everything else forks first and goes to the fork, its methods bound to it (they use private fields).
import type { EntityManager } from '@mikro-orm/postgresql';

/** Read from the root while there is no fork: the same objects a fork would return. */
const SHARED_PROPERTIES = new Set<PropertyKey>(['config', 'driver', 'metadata']);
const SHARED_METHODS = new Set<PropertyKey>(['getConnection', 'getDriver', 'getPlatform', 'getMetadata']);

/** Methods bound to their EntityManager, by property. */
type BoundMethods = Map<PropertyKey, unknown>;
/**
 * What every request's proxy of one root shares: the root's bound methods, and the proxy target (it only
 * lends the proxies the class, so that instanceof EntityManager holds; no state lives there).
 */
const perRoot = new WeakMap<EntityManager, { methods: BoundMethods; target: EntityManager }>();
const notInTransaction = () => false;

/** `target[property]`, a method bound to `target` (cached in `methods` while the property holds the same function). */
function forwarded(target: EntityManager, methods: BoundMethods, property: PropertyKey): unknown {
  const value: unknown = Reflect.get(target, property, target);
  if (typeof value !== 'function') return value;
  let method = methods.get(property);
  if (method === undefined || (method as { source?: unknown }).source !== value) {
    method = Object.assign((value as (...args: unknown[]) => unknown).bind(target), { source: value });
    methods.set(property, method);
  }
  return method;
}

export function lazyFork(root: EntityManager): EntityManager {
  let fork: EntityManager | null = null;
  let forkMethods: BoundMethods | null = null;
  const real = (): EntityManager => (fork ??= root.fork());
  let shared = perRoot.get(root);
  if (!shared) perRoot.set(root, (shared = { methods: new Map(), target: Object.create(Object.getPrototypeOf(root) as object) as EntityManager }));
  const boundToRoot = shared.methods;
  const fromFork = (property: PropertyKey) => forwarded(real(), (forkMethods ??= new Map()), property);
  return new Proxy(shared.target, {
    get(_target, property) {
      if (fork === null) {
        if (property === 'isInTransaction') return notInTransaction;
        if (SHARED_PROPERTIES.has(property) || SHARED_METHODS.has(property)) return forwarded(root, boundToRoot, property);
      }
      return fromFork(property);
    },
    set: (_target, property, value) => Reflect.set(real(), property, value),
    has: (_target, property) => Reflect.has(real(), property),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_target, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), property);
      // A proxy may not report a property as non-configurable unless its target has it so.
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
    defineProperty: (_target, property, descriptor) => Reflect.defineProperty(real(), property, descriptor),
    deleteProperty: (_target, property) => Reflect.deleteProperty(real(), property),
  });
}
