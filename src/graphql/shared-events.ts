import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  createSourceEventStream,
  executeSubscriptionEvent,
  getOperationAST,
  Kind,
  print,
  validateSubscriptionArgs,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { responseEvents } from './subscription-events.ts';

type Executed = ExecutionResult | Promise<ExecutionResult>;

/**
 * Executes an event once for every follower that asked for it the same way (same document, operation and
 * variables), instead of once per follower: a thousand clients following one analysis run share one
 * execution per event. The sharing only works because the event is the same object for all of them (see
 * modules/analysis/run-feeds.ts) and is only allowed for subscription fields whose event types resolve
 * from the event alone: no resolver below them may read the context or the viewer, or one follower's
 * answer would reach another.
 */
export function sharedEventsPlugin(fields: readonly string[]): Plugin {
  const allowed = new Set(fields);
  // Per event object: the result per way of asking. Weak, so past events go with their last follower.
  const results = new WeakMap<object, Map<string, Executed>>();
  // Once per subscription (not per event): the way it asks, as text.
  const keyOf = (args: ExecutionArgs): string =>
    `${print(args.document)}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;

  const subscribe = async (args: ExecutionArgs) => {
    const validated = validateSubscriptionArgs(args);
    if (!('schema' in validated)) return { errors: validated };
    const stream = await createSourceEventStream(validated);
    if (!(Symbol.asyncIterator in stream)) return stream;
    const key = keyOf(args);
    const execute = (event: unknown) => executeSubscriptionEvent({ ...validated, rootValue: event });
    return responseEvents(validated, stream, (event) => {
      if (typeof event !== 'object' || event === null) return execute(event);
      let byKey = results.get(event);
      if (!byKey) {
        byKey = new Map();
        results.set(event, byKey);
      }
      let result = byKey.get(key);
      if (!result) {
        result = execute(event);
        byKey.set(key, result);
      }
      return result;
    });
  };

  return {
    onSubscribe({ args, setSubscribeFn }) {
      if (onlyFields(args.document, args.operationName, allowed)) setSubscribeFn(subscribe);
    },
  };
}

/** Whether the operation is a subscription whose root selections are all allowed fields. */
function onlyFields(document: DocumentNode, operationName: string | null | undefined, allowed: ReadonlySet<string>): boolean {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation !== 'subscription') return false;
  return operation.selectionSet.selections.every((selection) => selection.kind === Kind.FIELD && allowed.has(selection.name.value));
}
