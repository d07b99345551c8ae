// Client-fault input refused at the edge, before any resolver or service sees it: a NUL character or a
// lone UTF-16 surrogate in any string (PostgreSQL refuses both in text and jsonb, which surfaced as a
// masked 500), and values nested deeper than any real input (JSON.stringify overflows the stack at about
// 10,000 levels, another 500). One walker serves GraphQL variables and literals and the /v1 JSON bodies.
import { type DocumentNode, visit } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** Deeper than any configuration, alert set, JSON Schema or import document a client sends. */
export const MAX_INPUT_DEPTH = 64;

/** A readable name for a place in an input: `input.alerts[3].note`. */
function placeOf(path: readonly (string | number)[]): string {
  if (path.length === 0) return 'the input';
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? key : `.${key}`)).join('');
}

function stringProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000)';
  if (!text.isWellFormed()) return 'contains a lone UTF-16 surrogate (half of a character)';
  return null;
}

/**
 * Why `value` (parsed JSON, or GraphQL variables) cannot be accepted, naming where (never quoting it), or
 * null when it is fine. Iterative, so a value of any depth is walked without growing the stack.
 */
export function inputProblem(value: unknown, root: readonly (string | number)[] = []): string | null {
  const pending: { value: unknown; path: readonly (string | number)[] }[] = [{ value, path: root }];
  while (pending.length > 0) {
    const { value: current, path } = pending.pop()!;
    if (typeof current === 'string') {
      const problem = stringProblem(current);
      if (problem) return `The value at ${placeOf(path)} ${problem}, which is not accepted.`;
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (path.length - root.length >= MAX_INPUT_DEPTH) {
      return `The value at ${placeOf(path)} is nested too deep: at most ${MAX_INPUT_DEPTH} levels of objects and lists are accepted.`;
    }
    if (Array.isArray(current)) {
      current.forEach((item, index) => pending.push({ value: item, path: [...path, index] }));
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      const problem = stringProblem(key);
      if (problem) return `A field name in ${placeOf(path)} ${problem}, which is not accepted.`;
      pending.push({ value: item, path: [...path, key] });
    }
  }
  return null;
}

/**
 * Verdicts per parsed document: yoga's parser cache hands the same DocumentNode to every request with the
 * same text, so a document's literals are walked once, not on every request.
 */
const documentVerdicts = new WeakMap<DocumentNode, string | null>();

/** The same rule for the string literals of a document (`"\u0000"` is a valid GraphQL escape). */
export function documentProblem(document: DocumentNode): string | null {
  const known = documentVerdicts.get(document);
  if (known !== undefined) return known;
  const problem = literalProblem(document);
  documentVerdicts.set(document, problem);
  return problem;
}

function literalProblem(document: DocumentNode): string | null {
  let problem: string | null = null;
  visit(document, {
    StringValue(node) {
      const found = stringProblem(node.value);
      if (found && !problem) problem = `A string in the document ${found}, which is not accepted.`;
    },
  });
  return problem;
}

/**
 * Refuses an operation whose variables or literals hold such input with BAD_USER_INPUT, before it runs.
 * It hooks execute and subscribe, which every transport goes through (HTTP, SSE, graphql-sse, WebSocket).
 */
export function inputGuardPlugin(): Plugin {
  const refusal = (args: { document: DocumentNode; variableValues?: unknown }) => {
    const problem = documentProblem(args.document) ?? inputProblem(args.variableValues ?? {}, []);
    return problem ? { errors: [createGraphQLError(problem, { extensions: { code: 'BAD_USER_INPUT' } })] } : null;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = refusal(args);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = refusal(args);
      if (refused) setResultAndStopExecution(refused);
    },
  };
}
