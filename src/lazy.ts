/**
 * An object whose properties are built on first read, each once: a request that reads one service (or
 * one DataLoader) builds that one, not all of them. The factories receive the object itself, so one
 * property can be built from another.
 */
export function lazyRecord<T extends object>(factories: { [K in keyof T]: (self: T) => T[K] }): T {
  const self = {} as T;
  for (const key of Object.keys(factories) as (keyof T)[]) {
    Object.defineProperty(self, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = factories[key](self);
        Object.defineProperty(self, key, { value, enumerable: true, writable: false, configurable: false });
        return value;
      },
    });
  }
  return self;
}

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
