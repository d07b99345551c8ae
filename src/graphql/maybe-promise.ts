/** Whether a value that may or may not be a promise (graphql-js's and graphql-jit's results) is one. */
export const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => typeof (value as { then?: unknown } | null)?.then === 'function';
