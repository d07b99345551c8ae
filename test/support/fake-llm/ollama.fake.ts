// Ollama's chat API (POST /api/chat): one JSON object with `stream: false`, otherwise NDJSON
// lines with `done: false` and a closing `done: true` line that carries the counts.
import { type Exchange, type FakeServer, scriptDeltas, startFakeHttpServer, type StreamFrames } from './fake-http-server.ts';

function requestField(exchange: Exchange, name: string): unknown {
  const { body } = exchange.request;
  return typeof body === 'object' && body !== null ? Reflect.get(body, name) : undefined;
}

function line(exchange: Exchange, content: string, done: boolean): Record<string, unknown> {
  return { model: requestField(exchange, 'model'), created_at: new Date().toISOString(), message: { role: 'assistant', content }, done };
}

function closing(exchange: Exchange, content: string): Record<string, unknown> {
  const { usage } = exchange.script;
  return {
    ...line(exchange, content, true),
    done_reason: exchange.script.finishReason ?? 'stop',
    total_duration: 5_000_000,
    load_duration: 1_000_000,
    ...(usage ? { prompt_eval_count: usage.inputTokens, prompt_eval_duration: 1_000_000, eval_count: usage.outputTokens, eval_duration: 3_000_000 } : {}),
  };
}

function streamFrames(exchange: Exchange): StreamFrames {
  return {
    contentType: 'application/x-ndjson',
    before: [],
    deltas: scriptDeltas(exchange.script).map((text) => `${JSON.stringify(line(exchange, text, false))}\n`),
    after: [`${JSON.stringify(closing(exchange, ''))}\n`],
    errorFrame: `${JSON.stringify({ error: 'an error was encountered while running the model' })}\n`,
  };
}

export function startFakeOllamaServer(): Promise<FakeServer> {
  return startFakeHttpServer([
    {
      method: 'POST',
      path: /^\/api\/chat$/,
      async handle(exchange) {
        // Ollama streams unless told otherwise.
        if (requestField(exchange, 'stream') === false) exchange.sendJson(200, closing(exchange, exchange.script.text));
        else await exchange.playStream(streamFrames(exchange));
      },
    },
  ]);
}
