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

export function lazyFork(root: EntityManager): EntityManager {
  let fork: EntityManager | null = null;
  const real = (): EntityManager => (fork ??= root.fork());
  const bound = new WeakMap<EntityManager, Map<PropertyKey, unknown>>();
  const forwarded = (target: EntityManager, property: PropertyKey): unknown => {
    const value: unknown = Reflect.get(target, property, target);
    if (typeof value !== 'function') return value;
    let methods = bound.get(target);
    if (!methods) bound.set(target, (methods = new Map()));
    let method = methods.get(property);
    if (method === undefined || (method as { source?: unknown }).source !== value) {
      method = Object.assign((value as (...args: unknown[]) => unknown).bind(target), { source: value });
      methods.set(property, method);
    }
    return method;
  };
  const notForked = () => false;
  // The proxy's own target only lends it the class (instanceof EntityManager holds); no state lives there.
  return new Proxy(Object.create(Object.getPrototypeOf(root) as object) as EntityManager, {
    get(_target, property) {
      if (fork === null) {
        if (property === 'isInTransaction') return notForked;
        if (SHARED_PROPERTIES.has(property) || SHARED_METHODS.has(property)) return forwarded(root, property);
      }
      return forwarded(real(), property);
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
