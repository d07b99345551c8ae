/**
 * Wraps a subscription's source so that unsubscribing aborts it at once. An async generator that is
 * waiting on I/O (a stalled provider stream) only sees `return()` at its next `yield`, which may never
 * come; aborting the signal it works with ends the I/O, so it winds down and cleans up by itself.
 */
export function abortableSource<T>(
  open: (signal: AbortSignal) => AsyncGenerator<T>,
  outer?: AbortSignal,
): AsyncIterableIterator<T> {
  const controller = new AbortController();
  const abort = () => controller.abort(outer?.reason);
  if (outer?.aborted) abort();
  outer?.addEventListener('abort', abort, { once: true });
  const source = open(controller.signal);
  const stop = (): IteratorReturnResult<undefined> => {
    outer?.removeEventListener('abort', abort);
    controller.abort();
    // Let the source finish its own cleanup (usage rows, events) in the background.
    source.return(undefined).catch(() => {});
    return { done: true, value: undefined };
  };
  return {
    // A step is the source's own: one promise per event, not an async function's around it.
    next: outer
      ? () =>
          source.next().then((result) => {
            if (result.done) outer.removeEventListener('abort', abort);
            return result;
          })
      : () => source.next(),
    return: async () => stop(),
    throw: async (error: unknown) => {
      stop();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
