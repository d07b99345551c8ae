/**
 * An object whose properties are built on first read, each once: a request that reads one service (or
 * one DataLoader) builds that one, not all of them. The factories receive the object itself, so one
 * property can be built from another. Built per request: the getters live on a prototype made once per
 * set of keys, so a record costs one object and one slot, not a property definition per key; a property,
 * once built, is the object's own (read-only) value. `for...in` lists every key; Object.keys the built ones.
 */
export function lazyRecord<T extends object>(factories: { [K in keyof T]: (self: T) => T[K] }): T {
  const keys = Object.keys(factories);
  const shape = keys.join('\u0000');
  let prototype = LAZY_PROTOTYPES.get(shape);
  if (!prototype) {
    prototype = {};
    for (const key of keys) {
      Object.defineProperty(prototype, key, {
        enumerable: true,
        get(this: Record<PropertyKey, unknown> & { [FACTORIES]: Record<string, (self: unknown) => unknown> }) {
          const value = this[FACTORIES][key]!(this);
          Object.defineProperty(this, key, { value, enumerable: true, writable: false, configurable: false });
          return value;
        },
      });
    }
    LAZY_PROTOTYPES.set(shape, prototype);
  }
  const record = Object.create(prototype) as T & { [FACTORIES]: unknown };
  record[FACTORIES] = factories;
  return record;
}

const FACTORIES = Symbol('lazyRecord.factories');
/** The prototypes of lazy records by their keys: a handful (services, loaders), made once each. */
const LAZY_PROTOTYPES = new Map<string, object>();

export interface LazyImport<T> {
  /** The module, imported on the first call (one import shared by every caller; a failed import is tried again next time). */
  load(): Promise<T>;
  /** The module once loaded, else null (nothing it defines can exist yet: no instanceof can be true). */
  loaded(): T | null;
}

/**
 * A module imported on first use: an SDK whose import costs start-up time and resident memory in every
 * process, whether or not a configuration ever uses it.
 */
export function lazyImport<T>(importer: () => Promise<T>): LazyImport<T> {
  let loading: Promise<T> | null = null;
  let loaded: T | null = null;
  return {
    load() {
      loading ??= importer().then(
        (module) => (loaded = module),
        (error: unknown) => {
          loading = null;
          throw error;
        },
      );
      return loading;
    },
    loaded: () => loaded,
  };
}
