// GraphQL over WebSocket (graphql-ws, the graphql-transport-ws subprotocol) on yoga's pipeline: the same
// parse, validation rules, context, plugins and error mask as GraphQL over HTTP, so a document gets the
// same answer on either. Every refusal is an `error` message for that operation; the socket stays open.
import type { Server } from 'node:http';
import { type ExecutionArgs, type ExecutionResult, GraphQLError, type GraphQLFormattedError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { ERROR_CODES } from '../errors.ts';
import type { Context } from '../graphql/context.ts';
import type { Logger } from '../logger.ts';
import { headerIn, webSocketAuthorizationOf } from './authorization.ts';
import { serveGraphqlWsTransport } from './graphql-ws-transport.ts';

const KNOWN_CODES = new Set<string>(ERROR_CODES);

export interface WebSocketOptions {
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  server: Server;
  logger: Logger;
  /** Yoga's error mask (createErrorMasker): the same for errors raised before execution here. */
  maskError(error: unknown, unexpectedMessage: string): Error;
  /** Why an Authorization value does not sign anyone in, or null when it does. */
  refusalOf(authorization: string): Promise<string | null>;
}

type Enveloped = Pick<ReturnType<WebSocketOptions['yoga']['getEnveloped']>, 'execute' | 'subscribe'>;

/**
 * Serves graphql-ws on the server's GraphQL path and returns its disposer.
 *
 * connection_init: a token in `connectionParams.authorization` that does not sign anyone in (forged,
 * expired, revoked) closes the socket with 4403 Forbidden, as graphql-ws does for a refused connection.
 * No token there is accepted (GraphiQL authenticates each operation in `payload.extensions.headers`);
 * each operation without a valid token is then refused with UNAUTHENTICATED, as over HTTP.
 */
export function serveGraphqlWs(options: WebSocketOptions): () => Promise<void> {
  const { yoga, logger } = options;
  const mask = (error: unknown): GraphQLError => {
    const masked = options.maskError(error, 'Unexpected error.');
    return masked instanceof GraphQLError ? masked : new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  };
  // What a client may see of an error: the contract's code, none of yoga's internal extensions.
  const forClient = (error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError => {
    const json = error instanceof GraphQLError ? error.toJSON() : error;
    const { http: _http, unexpected: _unexpected, originalError: _original, stacktrace: _stack, ...extensions } = (json.extensions ?? {}) as Record<string, unknown>;
    const code = typeof extensions.code === 'string' && KNOWN_CODES.has(extensions.code) ? extensions.code : 'BAD_USER_INPUT';
    return { ...json, extensions: { ...extensions, code } };
  };
  const known = (error: GraphQLError) => typeof error.extensions?.code === 'string' && KNOWN_CODES.has(error.extensions.code);
  // execute and subscribe never throw to graphql-ws (it would close the socket with 4500): a failure is a result.
  const guarded =
    (run: (args: ExecutionArgs) => unknown) =>
    async (args: ExecutionArgs): Promise<ExecutionResult | AsyncIterable<ExecutionResult>> => {
      try {
        return (await run(args)) as ExecutionResult | AsyncIterable<ExecutionResult>;
      } catch (error) {
        return { errors: [mask(error)] };
      }
    };

  const webSockets = new WebSocketServer({ server: options.server, path: yoga.graphqlEndpoint });
  return serveGraphqlWsTransport(
    {
      execute: guarded((args) => (args.rootValue as Enveloped).execute(args)),
      subscribe: guarded((args) => (args.rootValue as Enveloped).subscribe(args)),
      onConnect: async (ctx) => {
        const authorization = headerIn(ctx.connectionParams, 'authorization');
        if (authorization === null) return true;
        try {
          return (await options.refusalOf(authorization)) === null;
        } catch (error) {
          logger.error({ err: error }, 'a WebSocket connection could not be authenticated');
          ctx.extra.socket.close(CloseCode.InternalServerError, 'Internal server error');
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        try {
          const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
            ...ctx,
            req: ctx.extra.request,
            socket: ctx.extra.socket,
            params: payload,
            webSocketAuthorization: webSocketAuthorizationOf(ctx.connectionParams, payload.extensions),
          });
          // Parse errors (a syntax error, Armor's token limit) are thrown: answered like validation errors.
          const document = parse(payload.query);
          const errors = validate(schema, document);
          if (errors.length > 0) return errors.map(mask);
          return {
            schema,
            operationName: payload.operationName,
            document,
            variableValues: payload.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe },
          };
        } catch (error) {
          return [mask(error)];
        }
      },
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: result.errors.map(forClient) } : undefined),
      // Also errors a source threw mid-stream, which graphql-ws wraps with their raw message: masked here.
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((error) => {
          const source = error.originalError instanceof GraphQLError ? error.originalError : error;
          return forClient(known(source) ? source : mask(source));
        }),
    },
    webSockets,
    { logger },
  );
}
