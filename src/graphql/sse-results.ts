// Subscriptions over SSE at /graphql (GraphQL over SSE, distinct connections: `event: next` / `event:
// complete`), written one event per chunk. Yoga's own SSE processor enqueues each event as two chunks
// (`event: next\n`, then `data: ...\n\n`), and every chunk becomes a socket write of its own: two writes
// per streamed delta. The frames on the wire are the same bytes as yoga's, its keep-alive pings included.
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { type ResultProcessor, serializeForClient, type StreamedResult } from './multipart-subscriptions.ts';

const MEDIA_TYPE = 'text/event-stream';
const HEADERS = { 'Content-Type': MEDIA_TYPE, Connection: 'keep-alive', 'Cache-Control': 'no-cache', 'Content-Encoding': 'none' };

export const sseResultProcessor: ResultProcessor = (result, fetchAPI) => {
  const iterator = (result as AsyncIterable<StreamedResult>)[Symbol.asyncIterator]();
  const encoder = new fetchAPI.TextEncoder();
  // As yoga's: a comment at once (some browsers wait for a first byte), then one every 12 s (0.3 s under test).
  const pingMs = process.env.NODE_ENV === 'test' ? 300 : 12_000;
  let ping: ReturnType<typeof setInterval> | undefined;
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(':\n\n'));
      ping = setInterval(() => {
        // null: errored; 0: backpressure or closed, not an end.
        if (controller.desiredSize === null) clearInterval(ping);
        else if (controller.desiredSize > 0) controller.enqueue(encoder.encode(':\n\n'));
      }, pingMs);
    },
    async pull(controller) {
      let next: IteratorResult<ExecutionResult>;
      try {
        next = await iterator.next();
      } catch (error) {
        clearInterval(ping);
        controller.error(error);
        return;
      }
      if (next.done) {
        clearInterval(ping);
        controller.enqueue(encoder.encode('event: complete\ndata:\n\n'));
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(`event: next\ndata: ${serializeForClient(next.value)}\n\n`));
    },
    async cancel(reason) {
      clearInterval(ping);
      await iterator.return?.(reason);
    },
  });
  return new fetchAPI.Response(body, { status: 200, headers: HEADERS });
};

/**
 * Takes over yoga's choice of SSE for subscriptions' streams: yoga's only processor for them is SSE (Apollo's
 * multipart protocol is ours, later in the plugin list, and overrides this one when asked for), so a stream
 * yoga found a processor for goes out as SSE. Results that are not streams (a refused subscription, a
 * query asked for as SSE) keep yoga's processor.
 */
export function sseResultsPlugin(): Plugin {
  // Subscriptions' requests, as yoga marks them to choose among its processors (no @defer/@stream here).
  const subscriptions = new WeakSet<Request>();
  return {
    onSubscribe({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (request) subscriptions.add(request);
    },
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      if (resultProcessor && isAsyncIterable(result) && subscriptions.has(request)) setResultProcessor(sseResultProcessor, MEDIA_TYPE);
    },
  };
}
