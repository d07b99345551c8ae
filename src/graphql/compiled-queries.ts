import type { DocumentNode, ExecutionResult } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.ts';

/**
 * Whether an operation runs compiled: queries and mutations (a subscription keeps yoga's executor,
 * whose event stream the shared-events and revocation plugins wrap), and only a document seen before.
 * Compiling costs more than running an operation once, so a document sent only once (values inlined, a
 * one-off in GraphiQL) is interpreted; yoga's parser cache hands the same DocumentNode to repeated requests
 * of one text, which is what is counted here (weakly: a document yoga forgets is forgotten here too).
 */
export function compileWhenRepeated(): (document: DocumentNode) => boolean {
  const seen = new WeakMap<DocumentNode, number>();
  return (document) => {
    const executable = document.definitions.every((definition) => definition.kind !== 'OperationDefinition' || definition.operation !== 'subscription');
    if (!executable) return false;
    const times = (seen.get(document) ?? 0) + 1;
    if (times <= 2) seen.set(document, times);
    return times >= 2;
  };
}

/** A compiled operation's answer when its variables did not coerce: errors and no data (graphql-jit returns before executing). */
const variablesRefused = (result: ExecutionResult) => result.errors !== undefined && !('data' in result);

/**
 * Repeated queries and mutations run as compiled functions (graphql-jit; one compilation per document and
 * operation name, kept with the document). Yoga's own executor stays the reference: a document graphql-jit
 * cannot compile runs interpreted, and so does a request whose variables do not coerce, so its errors are
 * worded as the interpreter words them (which inputErrorsPlugin turns into messages that name the field and
 * never quote its value; graphql-jit's wording differs); nothing ran before that refusal, so the operation
 * still runs once.
 */
export function compiledQueriesPlugin(logger: Pick<Logger, 'warn'>): Plugin {
  const compile = compileWhenRepeated();
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
    onExecute({ args, executeFn, setExecuteFn }) {
      if (!compile(args.document)) return;
      const query = compiledFor(args);
      if (!query) return;
      setExecuteFn(async (executeArgs) => {
        const result = await query.query(executeArgs.rootValue, executeArgs.contextValue, executeArgs.variableValues);
        return variablesRefused(result) ? executeFn(executeArgs) : result;
      });
    },
  };
}
