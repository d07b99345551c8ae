// Coercion and validation messages that name the field without quoting the value. graphql-js and the
// executor quote what they were given ("Variable "$input" got invalid value { apiKey: "sk-..." }; ...
// Found: { apiKey: "sk-..." }"), so a wrong-typed field next to a key sent the key back, and into the logs.
import { type ASTNode, type DocumentNode, GraphQLError, visit } from 'graphql';
import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';

/** Names of input fields and arguments whose values are secrets (`apiKey`, `githubToken`; not `maxTokens`). */
const SECRET_NAME = /(api[-_]?key|token|secret|password|passphrase|authorization|credentials?|private[-_]?key)$/i;
// The field names of a quoted object (`{ apiKey: "sk-..." }`, as the executor inspects or graphql prints it).
const QUOTED_FIELD = /[{,]\s*"?([\w$-]+)"?\s*:/g;
// The executor's prefix: `Variable "$input" got invalid value <value>[ at "input.path"]; <reason>`.
const VARIABLE_ERROR = /^Variable "\$([^"]+)" got invalid value /;
const FOUND_TAIL = /[,;]?\s*[Ff]ound: [\s\S]*$/;
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

interface Rewrite {
  hideSuggestions: boolean;
}

/** A reason without the value it quotes at its end, and without suggestions when they are hidden. */
function cleanReason(reason: string, { hideSuggestions }: Rewrite): string {
  let cleaned = reason;
  if (FOUND_TAIL.test(cleaned)) {
    cleaned = cleaned.replace(FOUND_TAIL, '');
    if (!/[.?!]$/.test(cleaned)) cleaned += '.';
  }
  return hideSuggestions ? cleaned.replace(SUGGESTION, '') : cleaned;
}

/** Whether a dotted place (`input.apiKey`) ends at a secret-named field. */
const isSecretPlace = (place: string) => SECRET_NAME.test(place.split('.').pop() ?? place);

/** Whether a message quotes an object holding a secret-named field. */
const quotesSecretField = (text: string) => [...text.matchAll(QUOTED_FIELD)].some((match) => SECRET_NAME.test(match[1]!));

/** `Variable "$input" got an invalid value at "input.label": <reason>`, never the value itself. */
function variableMessage(error: GraphQLError, rewrite: Rewrite): string | null {
  const match = VARIABLE_ERROR.exec(error.message);
  if (!match) return null;
  const reason = error.originalError?.message;
  const prefix = reason && error.message.endsWith(`; ${reason}`) ? error.message.slice(0, -(reason.length + 2)) : error.message;
  const place = / at "([^"]+)"$/.exec(prefix)?.[1] ?? match[1]!;
  const head = `Variable "$${match[1]}" got an invalid value at "${place}"`;
  if (!reason) return `${head}.`;
  const cleaned = cleanReason(reason, rewrite);
  return isSecretPlace(place) || quotesSecretField(cleaned) ? `${head} (not shown: the field holds a secret).` : `${head}: ${cleaned}`;
}

/** The literal values of secret-named fields and arguments in a document, with their names. */
function secretLiterals(document: DocumentNode | undefined): Map<ASTNode, string> {
  const secrets = new Map<ASTNode, string>();
  if (!document) return secrets;
  const note = (node: { name: { value: string }; value: ASTNode }) => {
    if (SECRET_NAME.test(node.name.value)) secrets.set(node.value, node.name.value);
  };
  visit(document, { ObjectField: note, Argument: note });
  return secrets;
}

/** A validation message about a literal, without the literal when it is (or holds) a secret. */
function literalMessage(error: GraphQLError, secrets: Map<ASTNode, string>, rewrite: Rewrite): string {
  const secretName = error.nodes?.map((node) => secrets.get(node)).find((name) => name !== undefined);
  if (secretName) return `The value given for "${secretName}" is invalid (not shown: the field holds a secret).`;
  const cleaned = cleanReason(error.message, rewrite);
  return quotesSecretField(cleaned) ? 'An input value is invalid (not shown: it holds a secret field).' : cleaned;
}

function withMessage(error: GraphQLError, message: string): GraphQLError {
  if (message === error.message) return error;
  // A new error without `originalError`: the original's message quoted the value too.
  return createGraphQLError(message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions: { ...error.extensions, code: 'BAD_USER_INPUT' } });
}

type Result = { errors?: readonly GraphQLError[] };

function rewriteResult<T extends Result>(result: T, rewrite: Rewrite): T {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((error) => (error instanceof GraphQLError ? withMessage(error, variableMessage(error, rewrite) ?? error.message) : error));
  return { ...result, errors };
}

/**
 * Rewrites the messages of input errors before any transport, log or mask sees them: variable coercion
 * errors (from execute and subscribe) and validation errors about literals keep the field's name and the
 * reason but lose the quoted value, and a secret-named field's problem is told without its value at all.
 * In production the executor's "Did you mean" suggestions go too, as Armor hides the validator's.
 */
export function inputErrorsPlugin(rewrite: Rewrite): Plugin {
  return {
    onValidate({ params }) {
      return ({ result, setResult }) => {
        if (result.length === 0) return;
        const secrets = secretLiterals(params.documentAST);
        setResult(result.map((error) => (error instanceof GraphQLError ? withMessage(error, literalMessage(error, secrets, rewrite)) : error)));
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (!isAsyncIterable(result)) setResult(rewriteResult(result, rewrite));
        },
      };
    },
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) setResult(rewriteResult(result, rewrite));
        },
      };
    },
  };
}
