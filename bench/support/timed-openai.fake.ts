// The test suite's fake OpenAI server (same wire format, same code), with two additions the benchmarks
// need: the moment it writes a stream's first text chunk, on this process's clock, and a gate that holds
// requests until the bench lets them through (so subscribers can be in place before a run streams).
import type { ServerResponse } from 'node:http';
import { type FakeServer, type Route, startFakeHttpServer } from '../../test/support/fake-llm/fake-http-server.ts';
import { chatCompletionsRoute } from '../../test/support/fake-llm/openai-compatible.fake.ts';

export interface TimedOpenAiFake {
  server: FakeServer;
  /** The SDK base URL (with /v1). */
  baseUrl: string;
  /** performance.now() when the next stream's first non-empty content chunk is handed to the socket. */
  nextFirstChunk(): Promise<number>;
  /** Holds every request (before its response headers) until release() is called. */
  hold(): { release(): void };
  close(): Promise<void>;
}

function isStreamRequest(body: unknown): boolean {
  return typeof body === 'object' && body !== null && Reflect.get(body, 'stream') === true;
}

/** True for an SSE frame carrying a non-empty text delta (the role-only first frame carries ""). */
function carriesText(chunk: unknown): boolean {
  if (typeof chunk !== 'string' || !chunk.startsWith('data: {')) return false;
  try {
    const frame = JSON.parse(chunk.slice(6)) as { choices?: { delta?: { content?: unknown } }[] };
    const content = frame.choices?.[0]?.delta?.content;
    return typeof content === 'string' && content.length > 0;
  } catch {
    return false;
  }
}

export async function startTimedOpenAiFake(): Promise<TimedOpenAiFake> {
  const waiters: ((at: number) => void)[] = [];
  let gate: Promise<void> | null = null;

  const stampFirstChunk = (response: ServerResponse): void => {
    const write = response.write;
    let stamped = false;
    response.write = function (this: ServerResponse, ...args: unknown[]): boolean {
      if (!stamped && carriesText(args[0])) {
        stamped = true;
        const at = performance.now();
        for (const wake of waiters.splice(0)) wake(at);
      }
      return Reflect.apply(write, this, args) as boolean;
    } as ServerResponse['write'];
  };

  const route: Route = {
    method: chatCompletionsRoute.method,
    path: chatCompletionsRoute.path,
    async handle(exchange) {
      if (gate) await gate;
      if (isStreamRequest(exchange.request.body)) stampFirstChunk(exchange.response);
      await chatCompletionsRoute.handle(exchange);
    },
  };
  const server = await startFakeHttpServer([route]);

  return {
    server,
    baseUrl: `${server.baseUrl}/v1`,
    nextFirstChunk: () => new Promise((resolve) => waiters.push(resolve)),
    hold() {
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = null;
          resolve();
        };
      });
      return { release };
    },
    close: () => server.close(),
  };
}
