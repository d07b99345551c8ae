import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { getOperationAST } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';

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

/** Limits on what one document may ask for; in production the limits do not reveal themselves. */
export function protectionPlugins(config: Config): Plugin[] {
  const exposeLimits = !config.isProduction;
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
  ];
  if (!config.introspection) plugins.push(useDisableIntrospection());
  return plugins;
}

/** Rejects bodies above the configured size before they are read. */
export function requestSizePlugin(maxBytes: number): Plugin {
  return {
    onRequest({ request, endResponse }) {
      const length = Number(request.headers.get('content-length') ?? '0');
      if (length > maxBytes) {
        endResponse(
          Response.json(
            { errors: [{ message: 'The request body is too large.', extensions: { code: 'BAD_USER_INPUT' } }] },
            { status: 413 },
          ),
        );
      }
    },
  };
}

const started = new WeakMap<Request, { at: bigint; operationName?: string }>();

/** One log line per HTTP request: method, path, status, operation name and duration. */
export function requestLogPlugin(logger: Logger): Plugin {
  return {
    onRequest({ request }) {
      started.set(request, { at: process.hrtime.bigint() });
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const entry = request ? started.get(request) : undefined;
      if (entry) entry.operationName = getOperationAST(args.document, args.operationName)?.name?.value;
    },
    onResponse({ request, response }) {
      const entry = started.get(request);
      if (!entry) return;
      const url = new URL(request.url);
      if (url.pathname === '/healthz' || url.pathname === '/readyz') return;
      logger.info(
        {
          method: request.method,
          path: url.pathname,
          status: response.status,
          operationName: entry.operationName,
          durationMs: Number(process.hrtime.bigint() - entry.at) / 1e6,
        },
        'request',
      );
    },
  };
}

