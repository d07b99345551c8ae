import { useGraphQlJit } from '@envelop/graphql-jit';
import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Whether an operation runs compiled: only queries (mutations and subscriptions keep graphql-js's
 * executor), and only a document seen before. Compiling costs more than running a query once, so a
 * document sent only once (a query with its values inlined, a one-off in GraphiQL) is interpreted;
 * yoga's parser cache hands the same DocumentNode to repeated requests of one text, which is what is
 * counted here (weakly: a document yoga forgets is forgotten here too).
 */
export function compileWhenRepeated(): (document: DocumentNode) => boolean {
  const seen = new WeakMap<DocumentNode, number>();
  return (document) => {
    const queryOnly = document.definitions.every((definition) => definition.kind !== 'OperationDefinition' || definition.operation === 'query');
    if (!queryOnly) return false;
    const times = (seen.get(document) ?? 0) + 1;
    if (times <= 2) seen.set(document, times);
    return times >= 2;
  };
}

/** Queries run as compiled functions (graphql-jit; one compilation per document, cached with it). */
export function compiledQueriesPlugin(): Plugin {
  const compile = compileWhenRepeated();
  return useGraphQlJit({}, { enableIf: (args) => compile(args.document) }) as Plugin;
}
