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
