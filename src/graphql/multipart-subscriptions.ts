import { GraphQLError, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.ts';

type ResultProcessEvent = Parameters<NonNullable<Plugin['onResultProcess']>>[0];
/** What yoga turns a result into a Response with (setResultProcessor's argument). */
export type ResultProcessor = Parameters<ResultProcessEvent['setResultProcessor']>[0];
export type StreamedResult = ExecutionResult & { stringify?: (result: ExecutionResult) => string };

const MEDIA_TYPE = 'multipart/mixed';
const BOUNDARY = 'graphql';
const CONTENT_TYPE = `${MEDIA_TYPE};boundary="${BOUNDARY}";subscriptionSpec="1.0"`;

/** How often a part with `{}` keeps an idle subscription's connection alive, as Apollo's router does. */
export const DEFAULT_HEARTBEAT_MS = 5_000;

/**
 * Whether the Accept header asks for Apollo's multipart subscription protocol: `multipart/mixed` with a
 * `subscriptionSpec=1.0` parameter (Apollo Client's HttpLink sends
 * `multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json` for every subscription).
 */
export function acceptsMultipartSubscriptions(accept: string | null): boolean {
  if (!accept) return false;
  return accept.split(',').some((entry) => {
    const [mediaType, ...parameters] = entry.split(';').map((part) => part.replace(/\s/g, '').toLowerCase());
    if (mediaType !== MEDIA_TYPE) return false;
    if (parameters.some((parameter) => /^q=0(\.0*)?$/.test(parameter))) return false;
    return parameters.some((parameter) => /^subscriptionspec=("1\.0"|1\.0)$/.test(parameter));
  });
}

/** A result as the client may see it: yoga's internal `http` extension and `unexpected` flag stay here. */
function forClient(result: StreamedResult): ExecutionResult {
  const { stringify: _stringify, ...rest } = result;
  const errors = rest.errors?.map((error) => {
    const { http: _http, unexpected: _unexpected, ...extensions } = (error.extensions ?? {}) as Record<string, unknown>;
    const plain = error instanceof GraphQLError ? error.toJSON() : { ...(error as object) };
    return { ...plain, extensions: Object.keys(extensions).length > 0 ? extensions : undefined };
  });
  const { http: _http, ...extensions } = (rest.extensions ?? {}) as Record<string, unknown>;
  return {
    ...rest,
    ...(errors ? { errors: errors as unknown as ExecutionResult['errors'] } : {}),
    ...(rest.extensions ? { extensions: Object.keys(extensions).length > 0 ? extensions : undefined } : {}),
  };
}

/** The text of one result: a result may carry its own serializer (yoga's `stringify`), else JSON. */
export function serializeForClient(result: StreamedResult): string {
  // Most results (each streamed delta) carry nothing internal: no copy to make.
  if (!result.errors?.length && !result.extensions) return result.stringify ? result.stringify(result) : JSON.stringify(result);
  const clean = forClient(result);
  return result.stringify ? result.stringify(clean) : JSON.stringify(clean);
}

/** The error part that ends a stream whose source failed: Apollo's transport-level `{ payload: null, errors }`. */
function transportError(error: unknown): string {
  const known = error instanceof GraphQLError && typeof error.extensions?.code === 'string' && error.extensions.code !== 'INTERNAL_SERVER_ERROR';
  const message = known ? error.message : 'Unexpected error.';
  const code = known ? (error.extensions.code as string) : 'INTERNAL_SERVER_ERROR';
  return JSON.stringify({ payload: null, errors: [{ message, extensions: { code } }] });
}

function multipartSubscriptionProcessor(heartbeatMs: number, logger?: Logger): ResultProcessor {
  return (result, fetchAPI) => {
    const iterator = (result as AsyncIterable<StreamedResult>)[Symbol.asyncIterator]();
    const encoder = new fetchAPI.TextEncoder();
    // Each part is written in one piece, so a heartbeat never lands inside a result.
    const part = (json: string) => encoder.encode(`\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}\r\n--${BOUNDARY}`);
    let heartbeat: ReturnType<typeof setInterval> | undefined;
    let ended = false;
    const end = (controller: ReadableStreamDefaultController<Uint8Array>) => {
      ended = true;
      clearInterval(heartbeat);
      // The closing delimiter: the last boundary followed by "--".
      controller.enqueue(encoder.encode('--\r\n'));
      controller.close();
    };

    const body = new fetchAPI.ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(`\r\n--${BOUNDARY}`));
        heartbeat = setInterval(() => {
          // Skipped while the client is not reading (backpressure); nothing after the end.
          if (!ended && (controller.desiredSize ?? 0) > 0) controller.enqueue(part('{}'));
        }, heartbeatMs);
      },
      async pull(controller) {
        if (ended) return;
        let next: IteratorResult<StreamedResult>;
        try {
          next = await iterator.next();
        } catch (error) {
          if (ended) return;
          logger?.error({ err: error }, 'a multipart subscription stream failed');
          controller.enqueue(part(transportError(error)));
          end(controller);
          return;
        }
        if (ended) return;
        if (next.done) {
          end(controller);
          return;
        }
        controller.enqueue(part(`{"payload":${serializeForClient(next.value)}}`));
      },
      async cancel() {
        // The client went away: stop the heartbeat and the subscription (its source stream is released).
        ended = true;
        clearInterval(heartbeat);
        await iterator.return?.();
      },
    });

    return new fetchAPI.Response(body, {
      status: 200,
      headers: { 'content-type': CONTENT_TYPE, 'cache-control': 'no-cache', connection: 'keep-alive' },
    });
  };
}

/**
 * Subscriptions over HTTP in Apollo's multipart protocol (https://www.apollographql.com/docs/graphos/routing/operations/subscriptions/multipart-protocol),
 * what Apollo Client's HttpLink uses when it has no WebSocket link. Yoga serves subscriptions over SSE
 * only (it dropped `multipart/mixed` for them), so this adds a result processor for that media type:
 * each result goes out as its own part wrapped as `{"payload": result}`, a `{}` part every `heartbeatMs`
 * keeps the connection open, and a failing source ends the stream with `{"payload": null, "errors": [...]}`.
 *
 * Only streams take this path: a subscription refused before it starts (UNAUTHENTICATED, a validation
 * error) is one plain JSON result, which Apollo Client reads as well. Register it after yoga's own
 * processors (any user plugin is): it overrides their choice only when the client asked for this protocol.
 */
export function multipartSubscriptionsPlugin(options: { heartbeatMs?: number; logger?: Logger } = {}): Plugin {
  const processor = multipartSubscriptionProcessor(options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, options.logger);
  return {
    onResultProcess({ request, result, acceptableMediaTypes, setResultProcessor }) {
      if (!isAsyncIterable(result)) return;
      acceptableMediaTypes.push(CONTENT_TYPE);
      if (acceptsMultipartSubscriptions(request.headers.get('accept'))) setResultProcessor(processor, MEDIA_TYPE);
    },
  };
}
