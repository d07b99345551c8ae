// OpenAI's chat completions wire format, as the `openai` SDK reads it: one JSON document, or
// SSE `data: {chunk}` frames ending with `data: [DONE]`, usage in a last choice-less chunk.
import { type Exchange, type FakeServer, type Route, scriptDeltas, startFakeHttpServer, type StreamFrames } from './fake-http-server.ts';

const CREATED = 1_700_000_000;

function usageOf(exchange: Exchange): Record<string, number> | undefined {
  const { usage } = exchange.script;
  if (!usage) return undefined;
  return { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
}

function bodyField(exchange: Exchange, name: string): unknown {
  const { body } = exchange.request;
  return typeof body === 'object' && body !== null ? Reflect.get(body, name) : undefined;
}

function chunk(model: unknown, choices: unknown[], usage?: Record<string, number>): string {
  const payload = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: CREATED, model, choices, ...(usage ? { usage } : {}) };
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export function openAiStreamFrames(exchange: Exchange): StreamFrames {
  const model = bodyField(exchange, 'model');
  const options = bodyField(exchange, 'stream_options');
  const includeUsage = typeof options === 'object' && options !== null && Reflect.get(options, 'include_usage') === true;
  const usage = usageOf(exchange);
  const finish = exchange.script.finishReason ?? 'stop';
  return {
    contentType: 'text/event-stream',
    before: [chunk(model, [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])],
    deltas: scriptDeltas(exchange.script).map((text) => chunk(model, [{ index: 0, delta: { content: text }, finish_reason: null }])),
    after: [
      chunk(model, [{ index: 0, delta: {}, finish_reason: finish }]),
      ...(includeUsage && usage ? [chunk(model, [], usage)] : []),
      'data: [DONE]\n\n',
    ],
    errorFrame: `data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error' } })}\n\n`,
  };
}

export function openAiCompletion(exchange: Exchange): unknown {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: CREATED,
    model: bodyField(exchange, 'model'),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: exchange.script.text, refusal: null },
        finish_reason: exchange.script.finishReason ?? 'stop',
        logprobs: null,
      },
    ],
    ...(usageOf(exchange) ? { usage: usageOf(exchange) } : {}),
  };
}

/** Matches /v1/chat/completions (OpenAI, xAI) and /chat/completions (Copilot). */
export const chatCompletionsRoute: Route = {
  method: 'POST',
  path: /\/chat\/completions$/,
  async handle(exchange) {
    if (bodyField(exchange, 'stream') === true) await exchange.playStream(openAiStreamFrames(exchange));
    else exchange.sendJson(200, openAiCompletion(exchange));
  },
};

export function startFakeOpenAiServer(): Promise<FakeServer> {
  return startFakeHttpServer([chatCompletionsRoute]);
}
