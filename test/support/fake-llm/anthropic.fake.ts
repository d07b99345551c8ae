// Anthropic's Messages API (POST /v1/messages): one JSON message, or SSE with named events
// message_start, content_block_start, ping, content_block_delta, content_block_stop,
// message_delta, message_stop, as @anthropic-ai/sdk parses them.
import { type Exchange, type FakeServer, scriptDeltas, startFakeHttpServer, type StreamFrames } from './fake-http-server.ts';

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function requestModel(exchange: Exchange): unknown {
  const { body } = exchange.request;
  return typeof body === 'object' && body !== null ? Reflect.get(body, 'model') : undefined;
}

function streamFrames(exchange: Exchange): StreamFrames {
  const { usage } = exchange.script;
  const message = {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: requestModel(exchange),
    content: [],
    stop_reason: null,
    stop_sequence: null,
    ...(usage ? { usage: { input_tokens: usage.inputTokens, output_tokens: 1 } } : {}),
  };
  return {
    contentType: 'text/event-stream',
    before: [
      event('message_start', { type: 'message_start', message }),
      event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      event('ping', { type: 'ping' }),
    ],
    deltas: scriptDeltas(exchange.script).map((text) =>
      event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    ),
    after: [
      event('content_block_stop', { type: 'content_block_stop', index: 0 }),
      event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: exchange.script.finishReason ?? 'end_turn', stop_sequence: null },
        ...(usage ? { usage: { output_tokens: usage.outputTokens } } : {}),
      }),
      event('message_stop', { type: 'message_stop' }),
    ],
    errorFrame: event('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
  };
}

function message(exchange: Exchange): unknown {
  const { usage } = exchange.script;
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: requestModel(exchange),
    content: [{ type: 'text', text: exchange.script.text }],
    stop_reason: exchange.script.finishReason ?? 'end_turn',
    stop_sequence: null,
    ...(usage ? { usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens } } : {}),
  };
}

export function startFakeAnthropicServer(): Promise<FakeServer> {
  return startFakeHttpServer([
    {
      method: 'POST',
      path: /^\/v1\/messages$/,
      async handle(exchange) {
        const { body } = exchange.request;
        const streaming = typeof body === 'object' && body !== null && Reflect.get(body, 'stream') === true;
        if (streaming) await exchange.playStream(streamFrames(exchange));
        else exchange.sendJson(200, message(exchange));
      },
    },
  ]);
}
