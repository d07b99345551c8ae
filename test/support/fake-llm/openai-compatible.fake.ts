// OpenAI's chat completions wire format, as the `openai` SDK reads it: one JSON document, or
// SSE `data: {chunk}` frames ending with `data: [DONE]`, usage in a last choice-less chunk.
// Tool calls stream as OpenAI sends them: per call, a first fragment with its index, id, type and
// name (arguments ""), then the arguments in pieces under the same index.
import { type Exchange, type FakeScript, type FakeServer, type Route, scriptDeltas, startFakeHttpServer, type StreamFrames } from './fake-http-server.ts';

const CREATED = 1_700_000_000;

export interface OpenAiCompletionBody {
  choices: { index: number; message: Record<string, unknown>; finish_reason: string; logprobs: null }[];
  [field: string]: unknown;
}

function usageOf(exchange: Exchange): Record<string, number> | undefined {
  const { usage } = exchange.script;
  if (!usage) return undefined;
  return { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
}

function bodyField(exchange: Exchange, name: string): unknown {
  const { body } = exchange.request;
  return typeof body === 'object' && body !== null ? Reflect.get(body, name) : undefined;
}

/** `text` cut into `count` pieces of about the same length (at least one, possibly empty). */
function piecesOf(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, count)));
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces.length ? pieces : [''];
}

function finishReasonOf(script: FakeScript): string {
  return script.finishReason ?? (script.toolCalls?.length ? 'tool_calls' : 'stop');
}

function toolCallFragments(script: FakeScript): unknown[][] {
  return (script.toolCalls ?? []).flatMap((call, index) => [
    [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
    ...piecesOf(call.arguments, script.argumentChunks ?? 1).map((piece) => [{ index, function: { arguments: piece } }]),
  ]);
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
  const finish = finishReasonOf(exchange.script);
  return {
    contentType: 'text/event-stream',
    before: [chunk(model, [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])],
    deltas: scriptDeltas(exchange.script).map((text) => chunk(model, [{ index: 0, delta: { content: text }, finish_reason: null }])),
    after: [
      ...toolCallFragments(exchange.script).map((toolCalls) => chunk(model, [{ index: 0, delta: { tool_calls: toolCalls }, finish_reason: null }])),
      chunk(model, [{ index: 0, delta: {}, finish_reason: finish }]),
      ...(includeUsage && usage ? [chunk(model, [], usage)] : []),
      'data: [DONE]\n\n',
    ],
    errorFrame: `data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error' } })}\n\n`,
  };
}

/** The answer's message: with tool calls, content is null when there is no text, as OpenAI sends it. */
function messageOf(script: FakeScript): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: script.text, refusal: null };
  if (!script.toolCalls?.length) return message;
  return {
    ...message,
    content: script.text || null,
    tool_calls: script.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
  };
}

export function openAiCompletion(exchange: Exchange): OpenAiCompletionBody {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: CREATED,
    model: bodyField(exchange, 'model'),
    choices: [
      {
        index: 0,
        message: messageOf(exchange.script),
        finish_reason: finishReasonOf(exchange.script),
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
