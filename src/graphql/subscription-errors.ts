// Errors of a subscription's event stream, as yoga's own executor (@graphql-tools/executor) shapes them, for
// the plugins that execute subscriptions themselves (compiled events, shared events).
import { GraphQLError, type OperationDefinitionNode } from 'graphql';

/**
 * A subscription's event stream whose source's failures (a subscribe resolver that throws as it streams)
 * come out located at the operation, as yoga's executor words them (it wraps them so: same message, the
 * original error kept for masking and codes, the operation's location).
 */
export function locatedAtOperation<T>(events: AsyncGenerator<T>, operation: OperationDefinitionNode): AsyncGenerator<T> {
  const located = (error: unknown): never => {
    if (error instanceof AggregateError) throw new AggregateError(error.errors.map((each) => atOperation(each, operation)), error.message);
    throw atOperation(error, operation);
  };
  return {
    next: () => events.next().catch(located),
    return: (value) => events.return(value),
    throw: (error) => events.throw(error),
    [Symbol.asyncIterator]() {
      return this;
    },
    [Symbol.asyncDispose]: () => events.return(undefined).then(() => undefined),
  };
}

function atOperation(error: unknown, operation: OperationDefinitionNode): GraphQLError {
  const original = error instanceof Error ? error : new Error(String(error));
  return new GraphQLError(original.message, { nodes: [operation], originalError: original });
}
