// The shared core of the fake provider servers: a node:http server on 127.0.0.1 that records
// every request, answers scripted failures first, and plays a wire format's JSON or stream.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, the raw text otherwise, null when empty. */
  body: unknown;
  receivedAt: number;
}

export interface ScriptedFailure {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Only requests whose path contains this are answered with the failure. */
  pathIncludes?: string;
}

export interface MidStreamFailure {
  /** Text deltas sent before the failure. */
  afterDeltas: number;
  /** close: cut the connection; error-event: the format's error event; stall: wait for the client to leave. */
  mode: 'close' | 'error-event' | 'stall';
}

export interface FakeScript {
  text: string;
  /** Stream deltas; by default the text split after each space. */
  deltas?: string[];
  /** Null: the response reports no usage at all. */
  usage: { inputTokens: number; outputTokens: number } | null;
  /** The provider's own finish reason; undefined: the format's "stop" (or its tool-call reason when toolCalls are scripted). */
  finishReason?: string;
  /**
   * Tool calls the model makes (after any text). `arguments` is the JSON text as a model writes it (it may be
   * invalid on purpose); streaming formats that send arguments in pieces split it into `argumentChunks` parts.
   */
  toolCalls?: { id: string; name: string; arguments: string }[];
  argumentChunks?: number;
  /** Delay before the response headers. */
  delayMs: number;
  /** Delay before each stream frame. */
  frameDelayMs: number;
  midStream: MidStreamFailure | null;
}

export const DEFAULT_SCRIPT: FakeScript = {
  text: 'Hello from the fake provider.',
  usage: { inputTokens: 12, outputTokens: 7 },
  delayMs: 0,
  frameDelayMs: 0,
  midStream: null,
};

export function scriptDeltas(script: FakeScript): string[] {
  return script.deltas ?? script.text.split(/(?<= )/);
}

export interface StreamFrames {
  contentType: string;
  before: string[];
  deltas: string[];
  after: string[];
  errorFrame: string;
}

export interface Exchange {
  request: RecordedRequest;
  response: ServerResponse;
  script: FakeScript;
  sendJson(status: number, body: unknown, headers?: Record<string, string>): void;
  playStream(frames: StreamFrames): Promise<void>;
}

export interface Route {
  method: string;
  path: RegExp;
  handle(exchange: Exchange): Promise<void> | void;
}

export interface FakeServer {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Connections the client closed before the response was complete. */
  readonly clientDisconnects: number;
  /** Replaces parts of the script until the next reset(). */
  script(patch: Partial<FakeScript>): void;
  /** The next matching requests get these failures, in order, one each. */
  failNext(...failures: ScriptedFailure[]): void;
  waitForClientDisconnect(timeoutMs?: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

function parseBody(raw: string): unknown {
  if (raw === '') return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

async function record(message: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const url = new URL(message.url ?? '/', 'http://fake');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: message.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body: parseBody(Buffer.concat(chunks).toString('utf8')),
    receivedAt: Date.now(),
  };
}

export async function startFakeHttpServer(routes: readonly Route[]): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  let failures: ScriptedFailure[] = [];
  let script: FakeScript = { ...DEFAULT_SCRIPT };
  let clientDisconnects = 0;
  const disconnectWaiters = new Set<() => void>();

  const server = createServer((message, response) => {
    let finishedByUs = false;
    response.on('close', () => {
      if (finishedByUs || response.writableFinished) return;
      clientDisconnects += 1;
      for (const wake of disconnectWaiters) wake();
    });
    void handle(message, response, () => {
      finishedByUs = true;
    }).catch(() => response.destroy());
  });

  async function handle(message: IncomingMessage, response: ServerResponse, markCut: () => void): Promise<void> {
    const request = await record(message);
    requests.push(request);
    const current = script;
    const failureIndex = failures.findIndex((failure) => failure.pathIncludes === undefined || request.path.includes(failure.pathIncludes));
    const sendJson = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    if (current.delayMs > 0) await sleep(current.delayMs);
    if (response.destroyed) return;
    if (failureIndex !== -1) {
      const [failure] = failures.splice(failureIndex, 1);
      if (failure) {
        sendJson(failure.status, failure.body ?? { error: { message: `scripted ${failure.status}` } }, failure.headers);
        return;
      }
    }
    const route = routes.find((candidate) => candidate.method === request.method && candidate.path.test(request.path));
    if (!route) {
      sendJson(404, { error: { message: `no fake route for ${request.method} ${request.path}` } });
      return;
    }
    const playStream = async (frames: StreamFrames): Promise<void> => {
      response.writeHead(200, { 'content-type': frames.contentType, 'cache-control': 'no-cache' });
      // Headers go out at once, as a real server's do, before the first frame is ready.
      response.flushHeaders();
      const write = async (frame: string): Promise<boolean> => {
        if (current.frameDelayMs > 0) await sleep(current.frameDelayMs);
        if (response.destroyed) return false;
        // Waiting for the flush keeps frames ahead of a scripted cut of the connection.
        await new Promise<void>((resolve) => response.write(frame, () => resolve()));
        return !response.destroyed;
      };
      for (const frame of frames.before) if (!(await write(frame))) return;
      for (const [index, frame] of frames.deltas.entries()) {
        if (current.midStream && index === current.midStream.afterDeltas) {
          await failMidStream(current.midStream, frames, response, markCut);
          return;
        }
        if (!(await write(frame))) return;
      }
      for (const frame of frames.after) if (!(await write(frame))) return;
      response.end();
    };
    await route.handle({ request, response, script: current, sendJson, playStream });
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    get clientDisconnects() {
      return clientDisconnects;
    },
    script(patch) {
      script = { ...script, ...patch };
    },
    failNext(...next) {
      failures.push(...next);
    },
    waitForClientDisconnect(timeoutMs = 2000) {
      if (clientDisconnects > 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          disconnectWaiters.delete(wake);
          reject(new Error('the client did not close the connection'));
        }, timeoutMs);
        const wake = (): void => {
          clearTimeout(timer);
          disconnectWaiters.delete(wake);
          resolve();
        };
        disconnectWaiters.add(wake);
      });
    },
    reset() {
      requests.length = 0;
      failures = [];
      script = { ...DEFAULT_SCRIPT };
      clientDisconnects = 0;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function failMidStream(failure: MidStreamFailure, frames: StreamFrames, response: ServerResponse, markCut: () => void): Promise<void> {
  if (failure.mode === 'error-event') {
    response.end(frames.errorFrame);
    return;
  }
  if (failure.mode === 'close') {
    markCut();
    // Destroying the socket mid-body is what a crashed upstream or dropped proxy looks like.
    response.socket?.destroy();
    return;
  }
  // stall: keep the connection open until the client gives up on it.
  await once(response, 'close');
}
