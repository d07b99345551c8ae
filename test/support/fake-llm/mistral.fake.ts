// Mistral's chat API (POST /v1/chat/completions): JSON, or SSE `data:` chunks ending with
// `data: [DONE]`, the usage in the last chunk next to finish_reason, as @mistralai/mistralai reads it.
// Streamed tool calls come whole, each with its index, in that last chunk, as Mistral sends them.
// With `argumentChunks` > 1 the arguments come in pieces under one index instead; every piece
// names the function, since the SDK's schema requires a name on each streamed call.
import { type Exchange, type FakeScript, type FakeServer, scriptDeltas, startFakeHttpServer, type StreamFrames } from './fake-http-server.ts';

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

function finishReasonOf(script: FakeScript): string {
  return script.finishReason ?? (script.toolCalls?.length ? 'tool_calls' : 'stop');
}

function wholeToolCalls(script: FakeScript): unknown[] {
  return (script.toolCalls ?? []).map((call, index) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments }, index }));
}

/** `text` cut into `count` pieces of about the same length (at least one, possibly empty). */
function piecesOf(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, count)));
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces.length ? pieces : [''];
}

function toolCallPieces(script: FakeScript): unknown[] {
  return (script.toolCalls ?? []).flatMap((call, index) =>
    piecesOf(call.arguments, script.argumentChunks ?? 1).map((piece, position) => ({
      ...(position === 0 ? { id: call.id, type: 'function' } : {}),
      function: { name: call.name, arguments: piece },
      index,
    })),
  );
}

function toolCallFrames(exchange: Exchange): { pieces: string[]; last: Record<string, unknown> } {
  const { script } = exchange;
  if (!script.toolCalls?.length) return { pieces: [], last: { content: '' } };
  if ((script.argumentChunks ?? 1) <= 1) return { pieces: [], last: { content: '', tool_calls: wholeToolCalls(script) } };
  return { pieces: toolCallPieces(script).map((toolCall) => chunk(exchange, { tool_calls: [toolCall] }, null)), last: { content: '' } };
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
  const toolCalls = toolCallFrames(exchange);
  return {
    contentType: 'text/event-stream',
    before: [chunk(exchange, { role: 'assistant', content: '' }, null)],
    deltas: scriptDeltas(exchange.script).map((text) => chunk(exchange, { content: text }, null)),
    after: [...toolCalls.pieces, chunk(exchange, toolCalls.last, finishReasonOf(exchange.script), usageOf(exchange)), 'data: [DONE]\n\n'],
    errorFrame: `data: ${JSON.stringify({ object: 'error', message: 'Service unavailable', type: 'internal_server_error', code: 3000 })}\n\n`,
  };
}

function messageOf(script: FakeScript): Record<string, unknown> {
  const message = { role: 'assistant', content: script.text };
  return script.toolCalls?.length ? { ...message, tool_calls: wholeToolCalls(script) } : message;
}

function completion(exchange: Exchange): unknown {
  return {
    id: 'cmpl-fake',
    object: 'chat.completion',
    created: CREATED,
    model: requestField(exchange, 'model'),
    choices: [{ index: 0, message: messageOf(exchange.script), finish_reason: finishReasonOf(exchange.script) }],
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
