import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { useServer } from 'graphql-ws/use/ws';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import { WebSocketServer } from 'ws';
import type { Logger } from './logger.ts';
import { AppError, httpStatusOf } from './errors.ts';
import { EXPORT_FORMATS, type ExportFormat } from './modules/export/export.service.ts';
import { buildContext, type AppDeps, type Context } from './graphql/context.ts';
import { createErrorMasker, errorCodePlugin } from './graphql/errors.ts';
import { graphqlSsePlugin } from './graphql/graphql-sse.ts';
import { multipartSubscriptionsPlugin } from './graphql/multipart-subscriptions.ts';
import { protectionPlugins, requestLogPlugin, requestSizePlugin } from './graphql/plugins.ts';
import { buildSchema } from './graphql/schema.ts';
import { sharedEventsPlugin } from './graphql/shared-events.ts';
import { openAiCompatResponse } from './modules/openai-compat/openai-compat.route.ts';
import { consoleResponse } from './modules/console/console.route.ts';

export interface App {
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  server: Server;
  /** Listens on the port (0: any free port) and resolves with the bound port. */
  start(port: number, host?: string): Promise<number>;
  /** Stops accepting, lets in-flight requests finish, closes WebSockets. */
  stop(): Promise<void>;
}

interface InitialContext {
  /** An HTTP operation's request (also graphql-sse's); absent on WebSocket. */
  request?: Request;
  /** Set on WebSocket operations only: the authorization found for this operation (null: none). */
  webSocketAuthorization?: string | null;
}

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
  const context = await buildContext(deps, request.headers.get('authorization'));
  if (!context.viewer) {
    return errorResponse(401, 'UNAUTHENTICATED', context.authProblem ?? 'Send the header "Authorization: Bearer <token>".', {
      'www-authenticate': 'Bearer',
    });
  }
  try {
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
  } catch (error) {
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
      } else if (url.pathname === '/healthz') {
        endResponse(Response.json({ status: 'ok' }));
      } else if (url.pathname === '/readyz') {
        const ready = await deps.orm.checkConnection();
        endResponse(Response.json({ status: ready.ok ? 'ready' : 'unavailable', database: ready.ok }, { status: ready.ok ? 200 : 503 }));
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
      else logger.error({ messages: messagesOf(args) }, 'yoga');
    },
  };
}

function authorizationOf(initial: InitialContext): string | null {
  if (initial.webSocketAuthorization !== undefined) return initial.webSocketAuthorization;
  return initial.request?.headers.get('authorization') ?? null;
}

/** A string value under `name`, whatever its case, in a plain object (connection params, headers); else null. */
function headerIn(record: unknown, name: string): string | null {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return null;
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() === name && typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/**
 * A WebSocket operation's authorization: the connection's `connectionParams.authorization` (graphql-ws
 * clients), else the subscribe message's `payload.extensions.headers.authorization` (GraphiQL sends the
 * Headers tab there, and an empty connection_init). Read per operation, and checked like an HTTP header.
 */
export function webSocketAuthorizationOf(connectionParams: unknown, extensions: unknown): string | null {
  const headers = typeof extensions === 'object' && extensions !== null ? (extensions as { headers?: unknown }).headers : undefined;
  return headerIn(connectionParams, 'authorization') ?? headerIn(headers, 'authorization');
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
    maskedErrors: { maskError: createErrorMasker(logger) },
    cors: config.corsOrigins ? { origin: config.corsOrigins, credentials: false } : undefined,
    logging: yogaLogger(logger),
    plugins: [
      requestSizePlugin(config.limits.requestBytes),
      requestLogPlugin(logger),
      restRoutes(deps),
      // graphql-sse's protocol (both modes) at /graphql/stream, with the same context as /graphql.
      graphqlSsePlugin({
        logger,
        refusalOf: async (authorization) => {
          const context = await buildContext(deps, authorization);
          return context.viewer ? null : (context.authProblem ?? 'Sign in first: send the header "Authorization: Bearer <token>".');
        },
      }),
      errorCodePlugin(),
      // Apollo Client's HTTP subscriptions (multipart/mixed; subscriptionSpec=1.0).
      multipartSubscriptionsPlugin({ logger }),
      ...protectionPlugins(config),
      // A run's followers share one execution per event (its event type reads nothing but the event).
      sharedEventsPlugin(['analysisProgress']),
    ],
  });

  const server = createServer(yoga);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  type Enveloped = Pick<ReturnType<typeof yoga.getEnveloped>, 'execute' | 'subscribe'>;
  const webSockets = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  // graphql-ws reuses yoga's pipeline, so WebSocket operations get the same context and plugins as HTTP.
  const wsServer = useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          webSocketAuthorization: webSocketAuthorizationOf(ctx.connectionParams, payload.extensions),
        });
        const args = {
          schema,
          operationName: payload.operationName,
          document: parse(payload.query),
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length > 0) return errors;
        return args;
      },
    },
    webSockets,
  );

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
    stop: () => {
      stopping ??= (async () => {
        await wsServer.dispose();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Connections still busy after the grace period are cut.
          setTimeout(() => {
            for (const socket of sockets) socket.destroy();
          }, 10_000).unref();
        });
        await yoga.dispose();
      })();
      return stopping;
    },
  };
}
