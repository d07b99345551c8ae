// Ollama's chat API (POST /api/chat): one JSON object with `stream: false`, otherwise NDJSON
// lines with `done: false` and a closing `done: true` line that carries the counts.
// Tool calls carry no id and their arguments as an object; streamed, they come whole on one line
// before the closing one, which says "stop" as for any other answer.
import { type Exchange, type FakeScript, type FakeServer, scriptDeltas, startFakeHttpServer, type StreamFrames } from './fake-http-server.ts';

function requestField(exchange: Exchange, name: string): unknown {
  const { body } = exchange.request;
  return typeof body === 'object' && body !== null ? Reflect.get(body, name) : undefined;
}

/**
 * Ollama parses the model's arguments into an object. Scripted text that is no JSON object (a test
 * of invalid arguments) has no such form: it goes as the string, which is as close as the wire gets.
 */
function argumentsValue(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : text;
  } catch {
    return text;
  }
}

function toolCallsOf(script: FakeScript): unknown[] {
  return (script.toolCalls ?? []).map((call) => ({ function: { name: call.name, arguments: argumentsValue(call.arguments) } }));
}

function line(exchange: Exchange, content: string, done: boolean, toolCalls: unknown[] = []): Record<string, unknown> {
  const message = { role: 'assistant', content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) };
  return { model: requestField(exchange, 'model'), created_at: new Date().toISOString(), message, done };
}

function closing(exchange: Exchange, content: string, toolCalls: unknown[] = []): Record<string, unknown> {
  const { usage } = exchange.script;
  return {
    ...line(exchange, content, true, toolCalls),
    done_reason: exchange.script.finishReason ?? 'stop',
    total_duration: 5_000_000,
    load_duration: 1_000_000,
    ...(usage ? { prompt_eval_count: usage.inputTokens, prompt_eval_duration: 1_000_000, eval_count: usage.outputTokens, eval_duration: 3_000_000 } : {}),
  };
}

function streamFrames(exchange: Exchange): StreamFrames {
  const toolCalls = toolCallsOf(exchange.script);
  return {
    contentType: 'application/x-ndjson',
    before: [],
    deltas: scriptDeltas(exchange.script).map((text) => `${JSON.stringify(line(exchange, text, false))}\n`),
    after: [
      ...(toolCalls.length ? [`${JSON.stringify(line(exchange, '', false, toolCalls))}\n`] : []),
      `${JSON.stringify(closing(exchange, ''))}\n`,
    ],
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
        if (requestField(exchange, 'stream') === false) exchange.sendJson(200, closing(exchange, exchange.script.text, toolCallsOf(exchange.script)));
        else await exchange.playStream(streamFrames(exchange));
      },
    },
  ]);
}
