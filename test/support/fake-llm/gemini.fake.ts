// The Gemini API: POST /v1beta/models/{model}:generateContent (JSON) and
// :streamGenerateContent?alt=sse (SSE `data:` frames separated by CRLF CRLF, as Google sends).
// Scripted tool calls are functionCall parts after the text, with finishReason STOP as Gemini
// sends it; streamed, each comes whole in a frame of its own, the last one with the finish reason.
// Gemini 2.x gives calls no id: a scripted call with an empty id is sent without one.
import { type Exchange, type FakeScript, type FakeServer, scriptDeltas, startFakeHttpServer, type StreamFrames } from './fake-http-server.ts';

type ScriptedToolCall = NonNullable<FakeScript['toolCalls']>[number];

function frame(data: unknown): string {
  return `data: ${JSON.stringify(data)}\r\n\r\n`;
}

function usageMetadata(exchange: Exchange, final: boolean): Record<string, unknown> {
  const { usage } = exchange.script;
  if (!usage) return {};
  const counts = final
    ? { promptTokenCount: usage.inputTokens, candidatesTokenCount: usage.outputTokens, totalTokenCount: usage.inputTokens + usage.outputTokens }
    : { promptTokenCount: usage.inputTokens, totalTokenCount: usage.inputTokens };
  return { usageMetadata: counts };
}

function candidate(parts: unknown[], finishReason?: string): unknown {
  return { content: { parts, role: 'model' }, index: 0, ...(finishReason ? { finishReason } : {}) };
}

function toolCallsOf(script: FakeScript): ScriptedToolCall[] {
  return script.toolCalls ?? [];
}

/** An answer that only calls functions has no text part. */
function hasText(script: FakeScript): boolean {
  return script.text !== '' || toolCallsOf(script).length === 0;
}

/** Gemini sends args as an object; scripted arguments that are not JSON go out as the raw string (a broken proxy). */
function functionCallPart(call: ScriptedToolCall): unknown {
  let args: unknown;
  try {
    args = JSON.parse(call.arguments);
  } catch {
    args = call.arguments;
  }
  return { functionCall: { ...(call.id ? { id: call.id } : {}), name: call.name, args } };
}

function modelOf(exchange: Exchange): string {
  return /models\/([^/:]+):/.exec(exchange.request.path)?.[1] ?? 'unknown';
}

function streamFrames(exchange: Exchange): StreamFrames {
  const modelVersion = modelOf(exchange);
  const finishReason = exchange.script.finishReason ?? 'STOP';
  const calls = toolCallsOf(exchange.script);
  const chunk = (parts: unknown[], final: boolean): string =>
    frame({
      candidates: [candidate(parts, final ? finishReason : undefined)],
      ...usageMetadata(exchange, final),
      modelVersion,
      responseId: 'fake',
    });
  return {
    contentType: 'text/event-stream',
    before: [],
    deltas: hasText(exchange.script) ? scriptDeltas(exchange.script).map((text) => chunk([{ text }], false)) : [],
    after: calls.length > 0
      ? calls.map((call, index) => chunk([functionCallPart(call)], index === calls.length - 1))
      : [chunk([{ text: '' }], true)],
    errorFrame: frame({ error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } }),
  };
}

function response(exchange: Exchange): unknown {
  const text = hasText(exchange.script) ? [{ text: exchange.script.text }] : [];
  return {
    candidates: [candidate([...text, ...toolCallsOf(exchange.script).map(functionCallPart)], exchange.script.finishReason ?? 'STOP')],
    ...usageMetadata(exchange, true),
    modelVersion: modelOf(exchange),
    responseId: 'fake',
  };
}

export function startFakeGeminiServer(): Promise<FakeServer> {
  return startFakeHttpServer([
    {
      method: 'POST',
      path: /^\/v1beta\/models\/[^/]+:generateContent$/,
      handle(exchange) {
        exchange.sendJson(200, response(exchange));
      },
    },
    {
      method: 'POST',
      path: /^\/v1beta\/models\/[^/]+:streamGenerateContent$/,
      async handle(exchange) {
        await exchange.playStream(streamFrames(exchange));
      },
    },
  ]);
}
