// The Gemini API: POST /v1beta/models/{model}:generateContent (JSON) and
// :streamGenerateContent?alt=sse (SSE `data:` frames separated by CRLF CRLF, as Google sends).
import { type Exchange, type FakeServer, scriptDeltas, startFakeHttpServer, type StreamFrames } from './fake-http-server.ts';

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

function candidate(text: string, finishReason?: string): unknown {
  return { content: { parts: [{ text }], role: 'model' }, index: 0, ...(finishReason ? { finishReason } : {}) };
}

function modelOf(exchange: Exchange): string {
  return /models\/([^/:]+):/.exec(exchange.request.path)?.[1] ?? 'unknown';
}

function streamFrames(exchange: Exchange): StreamFrames {
  const modelVersion = modelOf(exchange);
  return {
    contentType: 'text/event-stream',
    before: [],
    deltas: scriptDeltas(exchange.script).map((text) =>
      frame({ candidates: [candidate(text)], ...usageMetadata(exchange, false), modelVersion, responseId: 'fake' }),
    ),
    after: [
      frame({
        candidates: [candidate('', exchange.script.finishReason ?? 'STOP')],
        ...usageMetadata(exchange, true),
        modelVersion,
        responseId: 'fake',
      }),
    ],
    errorFrame: frame({ error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } }),
  };
}

export function startFakeGeminiServer(): Promise<FakeServer> {
  return startFakeHttpServer([
    {
      method: 'POST',
      path: /^\/v1beta\/models\/[^/]+:generateContent$/,
      handle(exchange) {
        exchange.sendJson(200, {
          candidates: [candidate(exchange.script.text, exchange.script.finishReason ?? 'STOP')],
          ...usageMetadata(exchange, true),
          modelVersion: modelOf(exchange),
          responseId: 'fake',
        });
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
