// A subscription's response events, for the plugins that execute subscriptions themselves (compiled events,
// shared events). One plain iterator per subscription in place of graphql-js's event map (an async
// generator), the abrupt-close guard around it and an error locator around that: each event of each
// follower takes one step through here instead of three (a thousand followers of one run make that a
// thousand times per event). Errors are those of yoga's own executor (@graphql-tools/executor).
import {
  type ExecutionResult,
  GraphQLError,
  mapSourceToResponseEvent,
  type OperationDefinitionNode,
  type ValidatedSubscriptionArgs,
} from 'graphql';
import { isPromise } from './maybe-promise.ts';

type Executed = ExecutionResult | Promise<ExecutionResult>;

const ended: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * Each event of `source` executed by `execute`, as graphql-js's `mapSourceToResponseEvent` does; a source
 * that fails (a subscribe resolver that throws as it streams) ends the stream with its error located at
 * the operation, as yoga's executor words it (same message, the original error kept for masking and codes).
 * Closing the stream (`return`, `throw`) closes the source at once, even while a step is pending.
 */
export function responseEvents(validated: ValidatedSubscriptionArgs, source: AsyncIterable<unknown>, execute: (event: unknown) => Executed): AsyncGenerator<ExecutionResult> {
  const { operation } = validated;
  // graphql-js cancels pending steps on this signal (yoga passes none): its map then carries the events,
  // unexecuted, and the steps below execute them as for any other source.
  const events = validated.externalAbortSignal
    ? mapSourceToResponseEvent(validated, source as AsyncGenerator<unknown>, (perEvent) => perEvent.rootValue as ExecutionResult)
    : source;
  const iterator = events[Symbol.asyncIterator]();
  let finished = false;
  const close = async (how: () => unknown) => {
    if (finished) return;
    finished = true;
    try {
      await how();
    } catch {
      // A source that fails to close is closed all the same.
    }
  };
  const fail = (error: unknown): never => {
    finished = true;
    throw locate(error, operation);
  };
  const step = (next: IteratorResult<unknown>): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> => {
    if (next.done) {
      finished = true;
      return ended;
    }
    const result = execute(next.value);
    return isPromise(result) ? result.then((value) => ({ done: false, value }), fail) : { done: false, value: result };
  };
  const stream: AsyncGenerator<ExecutionResult> = {
    next: () => (finished ? Promise.resolve(ended) : iterator.next().then(step, fail)),
    return: async () => {
      await close(() => iterator.return?.());
      return ended;
    },
    throw: async (error: unknown) => {
      await close(() => (iterator.throw ? iterator.throw(error) : iterator.return?.()));
      throw error;
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
    [Symbol.asyncDispose]: async () => {
      await close(() => iterator.return?.());
    },
  };
  return stream;
}

function locate(error: unknown, operation: OperationDefinitionNode): Error {
  if (error instanceof AggregateError) return new AggregateError(error.errors.map((each) => atOperation(each, operation)), error.message);
  return atOperation(error, operation);
}

function atOperation(error: unknown, operation: OperationDefinitionNode): GraphQLError {
  const original = error instanceof Error ? error : new Error(String(error));
  return new GraphQLError(original.message, { nodes: [operation], originalError: original });
}
