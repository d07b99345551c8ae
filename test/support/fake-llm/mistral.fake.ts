// Mistral's chat API (POST /v1/chat/completions): JSON, or SSE `data:` chunks ending with
// `data: [DONE]`, the usage in the last chunk next to finish_reason, as @mistralai/mistralai reads it.
import { type Exchange, type FakeServer, scriptDeltas, startFakeHttpServer, type StreamFrames } from './fake-http-server.ts';

const CREATED = 1_700_000_000;

function requestField(exchange: Exchange, name: string): unknown {
  const { body } = exchange.request;
  return typeof body === 'object' && body !== null ? Reflect.get(body, name) : undefined;
}

function usageOf(exchange: Exchange): Record<string, number> | undefined {
  const { usage } = exchange.script;
  if (!usage) return undefined;
  return { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
}

function chunk(exchange: Exchange, delta: unknown, finishReason: string | null, usage?: Record<string, number>): string {
  const payload = {
    id: 'cmpl-fake',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: requestField(exchange, 'model'),
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...(usage ? { usage } : {}),
  };
  return `data: ${JSON.stringify(payload)}\n\n`;
}

function streamFrames(exchange: Exchange): StreamFrames {
  return {
    contentType: 'text/event-stream',
    before: [chunk(exchange, { role: 'assistant', content: '' }, null)],
    deltas: scriptDeltas(exchange.script).map((text) => chunk(exchange, { content: text }, null)),
    after: [chunk(exchange, { content: '' }, exchange.script.finishReason ?? 'stop', usageOf(exchange)), 'data: [DONE]\n\n'],
    errorFrame: `data: ${JSON.stringify({ object: 'error', message: 'Service unavailable', type: 'internal_server_error', code: 3000 })}\n\n`,
  };
}

function completion(exchange: Exchange): unknown {
  return {
    id: 'cmpl-fake',
    object: 'chat.completion',
    created: CREATED,
    model: requestField(exchange, 'model'),
    choices: [{ index: 0, message: { role: 'assistant', content: exchange.script.text }, finish_reason: exchange.script.finishReason ?? 'stop' }],
    // Mistral's schema makes `usage` mandatory; "not reported" is an object without counts.
    usage: usageOf(exchange) ?? {},
  };
}

export function startFakeMistralServer(): Promise<FakeServer> {
  return startFakeHttpServer([
    {
      method: 'POST',
      path: /^\/v1\/chat\/completions$/,
      async handle(exchange) {
        if (requestField(exchange, 'stream') === true) await exchange.playStream(streamFrames(exchange));
        else exchange.sendJson(200, completion(exchange));
      },
    },
  ]);
}
