import { randomUUID } from 'node:crypto';
import { type GraphQLSSEPluginOptions, useGraphQLSSE } from '@graphql-yoga/plugin-graphql-sse';
import { type DocumentNode, type ExecutionResult, GraphQLError, parse as parseDocument } from 'graphql';
import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.ts';

type Authenticate = NonNullable<GraphQLSSEPluginOptions['authenticate']>;
type SseRequest = Parameters<Authenticate>[0];
type SseResponse = Exclude<Awaited<ReturnType<Authenticate>>, string | null | undefined>;
type Yoga = Parameters<NonNullable<Plugin['onYogaInit']>>[0]['yoga'];
type Enveloped = ReturnType<Yoga['getEnveloped']>;

/** The protocol's names for the stream token (graphql-sse's TOKEN_HEADER_KEY and TOKEN_QUERY_KEY). */
const TOKEN_HEADER = 'x-graphql-event-stream-token';
const TOKEN_QUERY = 'token';

export const GRAPHQL_SSE_ENDPOINT = '/graphql/stream';

export interface GraphqlSseOptions {
  endpoint?: string;
  /** Why an Authorization value does not sign anyone in, or null when it does (the same check as every operation). */
  refusalOf(authorization: string | null): Promise<string | null>;
  logger: Logger;
}

function header(request: SseRequest, name: string): string | null {
  const value = request.headers.get(name);
  if (Array.isArray(value)) return value.join('');
  return value ?? null;
}

function unauthenticated(message: string): SseResponse {
  return [
    JSON.stringify({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] }),
    { status: 401, statusText: 'Unauthorized', headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer' } },
  ];
}

/** A document refused before execution, coded as on /graphql (a client's mistake: BAD_USER_INPUT); yoga's `http` stays here. */
function refused(error: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
  return createGraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: { ...extensions, code: 'BAD_USER_INPUT' } });
}

// Stands in for a document that did not parse, so the plugin goes on to the refusal below.
const UNPARSED: DocumentNode = parseDocument('{ __typename }');

type Executed = Awaited<ReturnType<Enveloped['execute']>>;

/** An error as the client may see it: yoga's internal `http` extension stays here (graphql-sse prints extensions). */
function withoutHttp(error: GraphQLError): GraphQLError {
  if (!error.extensions || !('http' in error.extensions)) return error;
  const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
  return createGraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions });
}

/** A stream as it is; a single result with `data` (null when it was refused), which the handler requires. */
function asResult(result: Executed): Executed {
  if (isAsyncIterable(result)) return result;
  const errors = result.errors?.map(withoutHttp);
  return { data: null, ...result, ...(errors ? { errors } : {}) };
}

/**
 * Yoga's graphql-sse plugin hands graphql-sse's handler `{ errors }` for a document that fails validation
 * and for a subscription refused before it starts (UNAUTHENTICATED), which the handler does not take for a
 * result (it wants a `data` key): it answered 400 "Unable to detect operation AST". A syntax error escaped
 * as a 500 with a stack trace. This gives the plugin an enveloped pipeline whose refusals are results:
 * `{ data: null, errors }`, streamed like any other result, with the codes /graphql gives them.
 */
function withResultsForRefusals(enveloped: Enveloped): Enveloped {
  let refusal: GraphQLError[] | null = null;
  const refusalResult = (): ExecutionResult => ({ data: null, errors: refusal! });
  return {
    ...enveloped,
    parse: (source, options) => {
      try {
        return enveloped.parse(source, options);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        refusal = [refused(error)];
        return UNPARSED;
      }
    },
    validate: (schema, document, rules, options) => {
      if (refusal) return [];
      try {
        const errors = enveloped.validate(schema, document, rules, options);
        if (errors.length > 0) refusal = errors.map(refused);
      } catch (error) {
        // Armor's depth, alias and cost limits throw their refusal instead of reporting it.
        if (!(error instanceof GraphQLError)) throw error;
        refusal = [refused(error)];
      }
      return [];
    },
    // Refused at execution too (the input guard, variables that do not coerce): `{ errors }` alone, made a result.
    execute: async (args) => (refusal ? refusalResult() : asResult(await enveloped.execute(args))),
    subscribe: async (args) => (refusal ? refusalResult() : asResult(await enveloped.subscribe(args))),
  };
}

/**
 * The GraphQL over SSE protocol of the `graphql-sse` client, both modes, served by yoga's plugin at
 * `/graphql/stream`: distinct connections (one event stream per operation) and the single connection mode
 * (a stream reserved with PUT, then opened, then operations posted with its token). Operations run through
 * yoga's pipeline with the same context as `/graphql`: the Authorization header of each operation's request.
 *
 * A reservation holds a stream on this replica until it is opened or closed, so only a signed-in client
 * may make one: a PUT with a refused Authorization is answered 401, and each reservation gets a new
 * random token of ours (the client names it in its later requests, by header or query).
 */
export function graphqlSsePlugin(options: GraphqlSseOptions): Plugin {
  const sse = useGraphQLSSE({
    endpoint: options.endpoint ?? GRAPHQL_SSE_ENDPOINT,
    authenticate: async (request) => {
      if (request.method === 'PUT') {
        const refusal = await options.refusalOf(header(request, 'authorization'));
        if (refusal) return unauthenticated(refusal);
        // Always a new token: the client's own would let it pick (or collide with) another's, and the
        // graphql-sse client resends its previous stream's token when it reconnects with the same headers.
        return randomUUID();
      }
      return header(request, TOKEN_HEADER) ?? new URL(request.url, 'http://localhost/').searchParams.get(TOKEN_QUERY) ?? randomUUID();
    },
  }) as Plugin;
  return {
    onYogaInit({ yoga }) {
      // The plugin reads only these two of yoga.
      const adapted = { fetchAPI: yoga.fetchAPI, getEnveloped: (initial?: Record<string, unknown>) => withResultsForRefusals(yoga.getEnveloped(initial)) };
      sse.onYogaInit?.({ yoga: adapted as unknown as Yoga });
    },
    async onRequest(payload) {
      try {
        await sse.onRequest?.(payload);
      } catch (error) {
        // What escapes a request hook is answered with its stack trace by the server adapter: never that.
        options.logger.error({ err: error }, 'a graphql-sse request failed');
        payload.endResponse(Response.json({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }, { status: 500 }));
      }
    },
  };
}
