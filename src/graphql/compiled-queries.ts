import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionResult,
  getOperationAST,
  GraphQLError,
  Kind,
  validateSubscriptionArgs,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.ts';
import { isPromise } from './maybe-promise.ts';
import { responseEvents } from './subscription-events.ts';

/**
 * Whether an operation runs compiled: only a document seen before. Compiling costs more than running an
 * operation once, so a document sent only once (values inlined, a one-off in GraphiQL) is interpreted;
 * yoga's parser cache hands the same DocumentNode to repeated requests of one text, which is what is
 * counted here (weakly: a document yoga forgets is forgotten here too).
 */
export function compileWhenRepeated(): (document: DocumentNode) => boolean {
  const seen = new WeakMap<DocumentNode, number>();
  return (document) => {
    const times = (seen.get(document) ?? 0) + 1;
    if (times <= 2) seen.set(document, times);
    return times >= 2;
  };
}

/** A compiled operation's answer when its variables did not coerce: errors and no data (graphql-jit returns before executing). */
const variablesRefused = (result: ExecutionResult) => result.errors !== undefined && !('data' in result);

/** Where each line of a document's text starts (offsets), kept with the document. */
const lineStarts = new WeakMap<DocumentNode, number[]>();

/**
 * A compiled operation's result with its errors as graphql-js makes them. graphql-jit's errors carry their
 * `locations` but not the source positions they came from, and yoga rebuilds every error of a response from
 * its nodes, source and positions (to drop internal extensions), so they would reach the client without
 * locations; here each gets the positions of its locations in the document's source again.
 */
function located(result: ExecutionResult, document: DocumentNode): ExecutionResult {
  const source = document.loc?.source;
  if (!result.errors?.length || !source) return result;
  let starts = lineStarts.get(document);
  if (!starts) {
    starts = [0];
    for (let index = source.body.indexOf('\n'); index !== -1; index = source.body.indexOf('\n', index + 1)) starts.push(index + 1);
    lineStarts.set(document, starts);
  }
  const offsetOf = (line: number, column: number) => (starts[line - 1] ?? 0) + column - 1;
  const errors = result.errors.map((error) => {
    if (error.positions || !error.locations?.length) return error;
    const positions = error.locations.map(({ line, column }) => offsetOf(line, column));
    return new GraphQLError(error.message, { source, positions, path: error.path, originalError: error.originalError ?? undefined, extensions: error.extensions });
  });
  return { ...result, errors };
}

/**
 * Repeated queries and mutations run as compiled functions (graphql-jit; one compilation per document and
 * operation name, kept with the document), and so does each event of a repeated subscription: the source
 * stream is still made by graphql-js (its subscribe resolver, its errors), and each event's selection runs
 * compiled instead of through a new executor that coerces the field's arguments again for every delta.
 * Yoga's own executor stays the reference: a document graphql-jit cannot compile runs interpreted, and so
 * does a request whose variables do not coerce, so its errors are worded as the interpreter words them
 * (which inputErrorsPlugin turns into messages that name the field and never quote its value; graphql-jit's
 * wording differs); nothing ran before that refusal, so the operation still runs once.
 * `interpretedSubscriptions`: root fields whose subscriptions another plugin executes (sharedEventsPlugin).
 */
export function compiledQueriesPlugin(logger: Pick<Logger, 'warn'>, options: { interpretedSubscriptions?: readonly string[] } = {}): Plugin {
  const compile = compileWhenRepeated();
  const interpreted = new Set(options.interpretedSubscriptions ?? []);
  const executedElsewhere = (document: DocumentNode, operationName: string | null | undefined) =>
    getOperationAST(document, operationName)?.selectionSet.selections.some((selection) => selection.kind === Kind.FIELD && interpreted.has(selection.name.value)) ?? true;
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();
  const compiledFor = (args: Parameters<NonNullable<Plugin['onExecute']>>[0]['args']): CompiledQuery | null => {
    const byName = compiled.get(args.document) ?? new Map<string, CompiledQuery | null>();
    compiled.set(args.document, byName);
    const name = args.operationName ?? '';
    if (byName.has(name)) return byName.get(name) ?? null;
    const result = compileQuery(args.schema, args.document, args.operationName ?? undefined);
    if (isCompiledQuery(result)) {
      byName.set(name, result);
      return result;
    }
    logger.warn({ operationName: args.operationName, errors: result.errors?.map((error) => error.message) }, 'graphql-jit could not compile an operation; it runs interpreted');
    byName.set(name, null);
    return null;
  };
  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      if (executedElsewhere(args.document, args.operationName) || !compile(args.document)) return;
      const query = compiledFor(args);
      if (!query) return;
      setSubscribeFn(async (subscribeArgs) => {
        const validated = validateSubscriptionArgs(subscribeArgs);
        // Variables that do not coerce (or no such operation): the interpreter's own answer, as above.
        if (!('schema' in validated)) return subscribeFn(subscribeArgs);
        const stream = await createSourceEventStream(validated);
        if (!(Symbol.asyncIterator in stream)) return stream;
        return responseEvents(validated, stream, (event) => {
          const result = query.query(event, validated.contextValue, subscribeArgs.variableValues);
          return isPromise(result) ? result.then((settled) => located(settled, args.document)) : located(result, args.document);
        });
      });
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      if (!compile(args.document)) return;
      const query = compiledFor(args);
      if (!query) return;
      setExecuteFn(async (executeArgs) => {
        const result = await query.query(executeArgs.rootValue, executeArgs.contextValue, executeArgs.variableValues);
        return variablesRefused(result) ? executeFn(executeArgs) : located(result, args.document);
      });
    },
  };
}
