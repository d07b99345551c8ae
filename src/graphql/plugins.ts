import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { getOperationAST, Kind, NoSchemaIntrospectionCustomRule, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import { currentTraceId } from '../observability/trace-context.ts';

// A request with one of these is not a browser's simple request (or carries a token): the CSRF check passes it.
const CSRF_HEADERS = ['authorization', 'x-graphql-yoga-csrf', 'apollo-require-preflight'] as const;

/**
 * A GET of /graphql without any token (curl, a script, a URL typed in a browser with GraphiQL off) is
 * refused with UNAUTHENTICATED (401) saying what is missing, instead of the CSRF check's 403 that names a
 * header nobody needs. Nothing runs either way: a browser's cross-site request (`Sec-Fetch-Site` other than
 * `same-origin` or `none`) is left to the CSRF check, and so are requests that opted out of it with a
 * CSRF header (an anonymous introspection by GET). A browser asking for GraphiQL never gets here.
 */
export function missingTokenPlugin(): Plugin {
  return {
    onRequestParse({ request }) {
      if (request.method !== 'GET') return;
      if (CSRF_HEADERS.some((name) => request.headers.has(name))) return;
      const site = request.headers.get('sec-fetch-site');
      if (site !== null && site !== 'same-origin' && site !== 'none') return;
      throw createGraphQLError(
        'No access token: send the header "Authorization: Bearer <token>" (an Agora access token; `npm run agora -- tokens:create --email <you>` makes one).',
        { extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } } },
      );
    },
  };
}

/**
 * The root fields that spend money: each calls a model, or starts a run that does (analyses, GitHub
 * imports with their summaries, a configuration's test prompt).
 */
export const PAID_OPERATIONS: readonly string[] = [
  'callLlm',
  'llmStream',
  'analyzeIncident',
  'analyzeGithubRepository',
  'importGithubRepository',
  'testIntelligenceProvider',
];

/** The response names (aliases count one each) of the paid root fields an operation selects. */
function paidResponseNames(selectionSet: SelectionSetNode, context: ValidationContext, names: Set<string>, fragments: Set<string>): Set<string> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (PAID_OPERATIONS.includes(selection.name.value)) names.add(selection.alias?.value ?? selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      paidResponseNames(selection.selectionSet, context, names, fragments);
    } else if (!fragments.has(selection.name.value)) {
      // A fragment spread twice merges into the same fields: each is counted once.
      fragments.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) paidResponseNames(fragment.selectionSet, context, names, fragments);
    }
  }
  return names;
}

/** At most `max` paid root fields per operation, so one request cannot fan out into many paid calls. */
function paidOperationsRule(max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const count = paidResponseNames(operation.selectionSet, context, new Set(), new Set()).size;
      if (count <= max) return;
      context.reportError(
        createGraphQLError(
          `At most ${max} paid operations (${PAID_OPERATIONS.join(', ')}) are accepted in one request (MAX_PAID_OPERATIONS_PER_REQUEST); this one has ${count}. Send them in separate requests.`,
          { nodes: operation, extensions: { code: 'BAD_USER_INPUT' } },
        ),
      );
    },
  });
}

/**
 * Introspection refused with a validation rule, for every transport. (Yoga's disable-introspection
 * plugin keys its decision on the HTTP request, so WebSocket operations, which have none, passed.)
 */
function introspectionOffPlugin(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/**
 * Limits on what one document may ask for; in production the limits do not reveal themselves. They are
 * parse and validation hooks, so they hold on every transport that runs yoga's pipeline (HTTP, SSE,
 * graphql-sse and graphql-ws).
 */
export function protectionPlugins(config: Config): Plugin[] {
  const exposeLimits = !config.isProduction;
  const paidOperations = paidOperationsRule(config.limits.paidOperations);
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: config.limits.depth, exposeLimits, ignoreIntrospection: true },
      maxAliases: { n: config.limits.aliases, exposeLimits },
      maxTokens: { n: config.limits.tokens, exposeLimits },
      maxDirectives: { n: 50, exposeLimits },
      costLimit: { maxCost: config.limits.cost, exposeLimits },
      blockFieldSuggestion: { enabled: config.isProduction },
    }) as Plugin,
    // Before the CSRF check: a GET that is not a browser's cross-site request is told what it lacks.
    missingTokenPlugin(),
    // Browsers attach no Authorization header by themselves, so a request carrying one is not a CSRF.
    useCSRFPrevention({ requestHeaders: [...CSRF_HEADERS] }),
    {
      onValidate({ addValidationRule }) {
        addValidationRule(paidOperations);
      },
    },
  ];
  if (!config.introspection) plugins.push(introspectionOffPlugin());
  return plugins;
}

const started = new WeakMap<Request, { at: bigint; path: string; operationName?: string; traceId?: string }>();

/** Probes and scrapes, not logged. */
const UNLOGGED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** One log line per HTTP request: method, path, status, operation name, duration, and the trace id when tracing is on. */
export function requestLogPlugin(logger: Logger): Plugin {
  // The line is built here from six known fields (none a secret, whatever the request held), so it skips
  // the logger's key-based redaction, which cost more than the rest of the line (2 of 3.5 us here).
  const lines = logger.child({}, { redact: [] });
  return {
    onRequest({ request, url }) {
      // The server adapter's URL, parsed once per request for every hook (the REST routes read it too).
      if (UNLOGGED_PATHS.has(url.pathname)) return;
      // A REST route's span is already open here; a GraphQL operation's opens later (onExecute).
      started.set(request, { at: process.hrtime.bigint(), path: url.pathname, traceId: currentTraceId() });
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const entry = request ? started.get(request) : undefined;
      if (entry) entry.operationName = getOperationAST(args.document, args.operationName)?.name?.value;
      if (entry) entry.traceId = currentTraceId() ?? entry.traceId;
    },
    onResponse({ request, response }) {
      const entry = started.get(request);
      if (!entry) return;
      const line = {
        method: request.method,
        path: entry.path,
        status: response.status,
        operationName: entry.operationName,
        traceId: entry.traceId,
        durationMs: Number(process.hrtime.bigint() - entry.at) / 1e6,
      };
      // Written once the response is on its way (this hook runs before it is sent): the line's
      // serialisation and write are not part of the request's latency.
      setImmediate(() => lines.info(line, 'request'));
    },
  };
}

