import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import type { Logger } from './logger.ts';
import { AppError, httpStatusOf, isDatabaseUnavailable, unavailableOr } from './errors.ts';
import { readinessResponse } from './health.ts';
import { EXPORT_FORMATS, type ExportFormat } from './modules/export/export.service.ts';
import { compiledQueriesPlugin } from './graphql/compiled-queries.ts';
import { buildContext, type AppDeps, type Context } from './graphql/context.ts';
import { createErrorMasker, errorCodePlugin } from './graphql/errors.ts';
import { graphqlSsePlugin } from './graphql/graphql-sse.ts';
import { multipartSubscriptionsPlugin } from './graphql/multipart-subscriptions.ts';
import { sseResultsPlugin } from './graphql/sse-results.ts';
import { protectionPlugins, requestLogPlugin } from './graphql/plugins.ts';
import { buildSchema } from './graphql/schema.ts';
import { sharedEventsPlugin } from './graphql/shared-events.ts';
import { bodyLimitPlugin } from './http/body-limit.ts';
import { corsOptions } from './http/cors.ts';
import { inputErrorsPlugin } from './http/input-errors.ts';
import { inputGuardPlugin } from './http/input-guard.ts';
import { subscriptionRevocationPlugin } from './http/subscription-revocation.ts';
import { authorizationOf, type InitialContext } from './http/authorization.ts';
import { serveGraphqlWs } from './http/websocket.ts';
import { bodyTooLargeResponse, openAiCompatResponse } from './modules/openai-compat/openai-compat.route.ts';
import { consoleResponse } from './modules/console/console.route.ts';
import { observabilityPlugin } from './observability/graphql-plugin.ts';
import { METRICS_PATH, metricsResponse } from './observability/metrics-route.ts';

export interface App {
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  server: Server;
  /** Listens on the port (0: any free port) and resolves with the bound port. */
  start(port: number, host?: string): Promise<number>;
  /**
   * Stops accepting connections, then `drain` (the calls in flight get their grace period and are ended:
   * their streams get a terminal event), then closes WebSockets and cuts what is still open.
   */
  stop(options?: { drain?: () => Promise<void> }): Promise<void>;
}

/** Subscription fields whose followers share one execution per event (see sharedEventsPlugin). */
const SHARED_EVENT_FIELDS = ['analysisProgress'] as const;

const EXPORT_ROUTE = /^\/api\/v1\/projects\/([^/]+)\/export\/([^/]+)\/?$/;

function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

/** GET /api/v1/projects/{id}/export/{format}: the export file itself, for `curl --output`. */
async function exportDownload(deps: AppDeps, request: Request, projectId: string, formatName: string): Promise<Response> {
  if (request.method !== 'GET') return errorResponse(405, 'BAD_USER_INPUT', 'Use GET.', { allow: 'GET' });
  const format = formatName.toUpperCase() as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) {
    return errorResponse(400, 'BAD_USER_INPUT', `Unknown format "${formatName}": use markdown, pdf, json or code.`);
  }
  try {
    const context = await buildContext(deps, request.headers.get('authorization'));
    if (!context.viewer) {
      return errorResponse(401, 'UNAUTHENTICATED', context.authProblem ?? 'Send the header "Authorization: Bearer <token>".', {
        'www-authenticate': 'Bearer',
      });
    }
    const file = await context.services.exports.download(context.viewer, projectId, format);
    const body: BodyInit = Buffer.isBuffer(file.body) ? new Uint8Array(file.body) : (file.body as ReadableStream<Uint8Array<ArrayBuffer>>);
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': file.contentType,
        'content-disposition': `attachment; filename="${file.filename}"`,
        'cache-control': 'private, no-store',
        ...(file.byteSize !== null ? { 'content-length': String(file.byteSize) } : {}),
        ...(file.sha256 !== null ? { 'x-content-sha256': file.sha256 } : {}),
      },
    });
  } catch (caught) {
    // A database outage (here or while authenticating) is a 503 SERVICE_UNAVAILABLE, not a masked 500.
    const error = unavailableOr(caught);
    if (error instanceof AppError) return errorResponse(httpStatusOf(error.code), error.code, error.message);
    deps.logger.error({ err: error }, 'export failed');
    return errorResponse(500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
  }
}

/** Plain REST routes served beside GraphQL: health, readiness, export downloads, the web console. */
function restRoutes(deps: AppDeps): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      const exportMatch = EXPORT_ROUTE.exec(url.pathname);
      if (exportMatch) {
        endResponse(await exportDownload(deps, request, decodeURIComponent(exportMatch[1]!), exportMatch[2]!));
      } else if (url.pathname.startsWith('/v1/')) {
        endResponse(await openAiCompatResponse(deps, request, url));
      } else if (url.pathname === '/console' || url.pathname.startsWith('/console/')) {
        endResponse(await consoleResponse(request, url));
      } else if (url.pathname === METRICS_PATH) {
        endResponse(await metricsResponse(request, deps.config.metrics.token));
      } else if (url.pathname === '/healthz') {
        endResponse(Response.json({ status: 'ok' }));
      } else if (url.pathname === '/readyz') {
        endResponse(await readinessResponse(deps));
      }
    },
  };
}

/**
 * Yoga logs client mistakes (a bad body, a bad query) as errors, with the parser's message quoting the
 * request body, which may hold a secret: keep only the messages, at debug level for client faults.
 */
function yogaLogger(logger: Logger) {
  const messagesOf = (args: unknown[]) =>
    args.map((arg) => (arg instanceof Error || (typeof arg === 'object' && arg && 'message' in arg) ? String((arg as Error).message) : String(arg)));
  return {
    debug: (...args: unknown[]) => logger.debug({ messages: messagesOf(args) }, 'yoga'),
    info: (...args: unknown[]) => logger.info({ messages: messagesOf(args) }, 'yoga'),
    warn: (...args: unknown[]) => logger.warn({ messages: messagesOf(args) }, 'yoga'),
    error: (...args: unknown[]) => {
      const clientFault = args.some((arg) => arg instanceof GraphQLError || (typeof arg === 'object' && arg && 'extensions' in arg));
      if (clientFault) logger.debug({ messages: messagesOf(args) }, 'yoga: request refused');
      // A database outage (met while building the context) was answered SERVICE_UNAVAILABLE, and warned of, by the error mask.
      else if (args.some(isDatabaseUnavailable)) logger.debug({ messages: messagesOf(args) }, 'yoga: database unavailable');
      else logger.error({ messages: messagesOf(args) }, 'yoga');
    },
  };
}

/** GraphiQL's first tab: what Agora is and one query, one call and one subscription to run. */
export const GRAPHIQL_WELCOME = `# Welcome to Agora, the GraphQL gateway in
# front of every LLM provider you use (OpenAI,
# Claude, Gemini, Mistral, Grok, Copilot,
# Ollama, and local rules). It keeps provider
# configurations, your API keys, and the usage
# and exact cost of every call.
#
# 1. Put your access token in the Headers tab:
#    {"Authorization": "Bearer agora_..."}
#    (npm start prints the admin's once; more:
#    npm run agora -- tokens:create)
# 2. Run an operation: the run button lists the
#    three below. Subscriptions stream over
#    WebSocket with the same token.
# 3. The Docs panel (top left) shows every field.

# Who you are, and the providers you can use now.
query Me {
  me { email role }
  providers { id name available defaultModel }
}

# One call through the gateway. It spends money:
# its cost is on the result and in \`usage\`.
# Without a provider, your active configuration
# serves it (add your own key with addApiKey).
mutation CallLlm {
  callLlm(input: {
    prompt: "Say hello in three languages"
    maxTokens: 100
  }) {
    text provider model cost finishReason
  }
}

# The same call, streamed: text deltas, then the
# result. To follow an incident analysis, start
# one with analyzeIncident(incidentId, provider)
# and subscribe to analysisProgress(runId).
subscription LlmStream {
  llmStream(input: {
    prompt: "Write a haiku about gateways"
    maxTokens: 100
  }) {
    delta done result { text cost }
  }
}
`;

/** Builds the whole HTTP + WebSocket application without side effects; `start` binds the port. */
export function buildApp(deps: AppDeps): App {
  const { config, logger } = deps;
  const maskError = createErrorMasker(logger);
  // Why an Authorization value signs nobody in (null: it does): graphql-sse reservations, WebSocket connections.
  const refusalOf = async (authorization: string | null) => {
    const context = await buildContext(deps, authorization);
    return context.viewer ? null : (context.authProblem ?? 'Sign in first: send the header "Authorization: Bearer <token>".');
  };
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    context: (initial: InitialContext) => buildContext(deps, authorizationOf(initial)),
    graphiql: config.graphiql
      ? {
          title: 'Agora',
          // Over WebSocket GraphiQL sends the Headers tab in each subscribe message (see webSocketAuthorizationOf).
          subscriptionsProtocol: 'WS',
          defaultQuery: GRAPHIQL_WELCOME,
          headers: JSON.stringify({ Authorization: 'Bearer <token>' }, null, 2),
        }
      : false,
    // Bundled GraphiQL: the page works without reaching a CDN.
    renderGraphiQL,
    landingPage: false,
    batching: false,
    // Bodies are limited by bodyLimitPlugin, for every route, before any of them reads one; yoga's own
    // limit would pipe every GraphQL body through a counting stream into a new Request a second time.
    maxRequestBodySize: false,
    maskedErrors: { maskError },
    cors: corsOptions(config.corsOrigins),
    logging: yogaLogger(logger),
    plugins: [
      // First: every later hook and route reads a body counted against the limit as it was read.
      bodyLimitPlugin({
        maxBytes: config.limits.requestBytes,
        tooLarge: (url, message) =>
          url.pathname.startsWith('/v1/')
            ? bodyTooLargeResponse(message, logger)
            : EXPORT_ROUTE.test(url.pathname)
              ? errorResponse(413, 'BAD_USER_INPUT', message)
              : Response.json({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] }, { status: 413 }),
      }),
      requestLogPlugin(logger),
      // Operation metrics, and with tracing on the spans of operations and of REST calls.
      observabilityPlugin(),
      restRoutes(deps),
      // graphql-sse's protocol (both modes) at /graphql/stream, with the same context as /graphql.
      graphqlSsePlugin({ logger, refusalOf }),
      errorCodePlugin(),
      // Subscriptions over SSE at /graphql, one write per event (yoga's processor makes two).
      sseResultsPlugin(),
      // Apollo Client's HTTP subscriptions (multipart/mixed; subscriptionSpec=1.0).
      multipartSubscriptionsPlugin({ logger }),
      ...protectionPlugins(config),
      // A run's followers share one execution per event (its event type reads nothing but the event).
      sharedEventsPlugin(SHARED_EVENT_FIELDS),
      // Client-fault input (NUL, lone surrogates, absurd nesting) refused before it runs, on every transport.
      inputGuardPlugin(),
      // Coercion and validation messages name the field, never quote its value.
      inputErrorsPlugin({ hideSuggestions: config.isProduction }),
      // A subscription ends when its token is revoked.
      subscriptionRevocationPlugin({ pubsub: deps.pubsub, logger, authorizationOf }),
      // Operations sent again run as compiled functions (graphql-jit): a page of 50 projects with their
      // specifications executes a thousand fields, every call runs callLlm's selection, every delta of a
      // stream its subscription's.
      compiledQueriesPlugin(logger, { interpretedSubscriptions: SHARED_EVENT_FIELDS }),
    ],
  });

  const server = createServer(yoga);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  // graphql-ws on yoga's pipeline: the same rules, context, plugins and error mask as HTTP.
  const disposeWebSockets = serveGraphqlWs({ yoga, server, logger, maskError, refusalOf });

  let stopping: Promise<void> | null = null;
  return {
    yoga,
    server,
    start: (port, host = config.host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    stop: (options = {}) => {
      stopping ??= (async () => {
        // No new connections; idle keep-alive ones go now, busy ones (streams) when they end.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await options.drain?.();
        await disposeWebSockets();
        // Connections still busy after the grace period (and the calls' own ending) are cut.
        const cut = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, 5_000);
        cut.unref();
        server.closeIdleConnections();
        await closed;
        clearTimeout(cut);
        await yoga.dispose();
      })();
      return stopping;
    },
  };
}
