import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema } from 'graphql';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { serveGraphqlWsTransport } from '../../src/http/graphql-ws-transport.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const silent = { error: () => {} };

// `chunks` yields 256 KiB strings without end; `pulled` counts how many the server asked for.
function serve(transport: { keepAliveMs?: number; highWaterBytes?: number }) {
  let pulled = 0;
  const schema = buildSchema('type Query { ok: Boolean } type Subscription { chunks: String }');
  const chunk = 'x'.repeat(256 * 1024);
  const roots = {
    subscription: {
      chunks: async function* () {
        for (;;) {
          pulled += 1;
          yield { chunks: chunk };
        }
      },
    },
  };
  const server: Server = createServer();
  const webSockets = new WebSocketServer({ server });
  const dispose = serveGraphqlWsTransport({ schema, roots }, webSockets, { logger: silent, ...transport });
  return { server, dispose, pulled: () => pulled };
}

async function connect(server: Server, options: WebSocket.ClientOptions = {}) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, GRAPHQL_TRANSPORT_WS_PROTOCOL, options);
  await once(socket, 'open');
  socket.send(JSON.stringify({ type: 'connection_init' }));
  const [ack] = await once(socket, 'message');
  expect(JSON.parse(String(ack))).toEqual({ type: 'connection_ack' });
  return socket;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('the graphql-ws transport', () => {
  it('holds a subscription back while its client does not read, and goes on when it reads again', async () => {
    const { server, dispose, pulled } = serve({ keepAliveMs: 60_000 });
    const socket = await connect(server);
    cleanups.push(async () => {
      socket.terminate();
      await dispose();
      server.close();
    });
    let received = 0;
    socket.on('message', () => (received += 1));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { chunks }' } }));
    await sleep(200);
    socket.pause();
    // Whatever the kernel's buffers take, the subscription stalls soon after the client stops reading.
    await sleep(500);
    const stalledAt = pulled();
    await sleep(500);
    expect(pulled()).toBe(stalledAt);
    // Some tens of chunks fit in the socket buffers and the high-water mark; not thousands.
    expect(stalledAt - received).toBeLessThan(200);
    socket.resume();
    await sleep(300);
    expect(pulled()).toBeGreaterThan(stalledAt);
  });

  it('terminates a connection that stops answering pings', async () => {
    const { server, dispose } = serve({ keepAliveMs: 50 });
    const socket = await connect(server, { autoPong: false });
    cleanups.push(async () => {
      await dispose();
      server.close();
    });
    const [code] = await once(socket, 'close');
    // Terminated, not closed: no close frame, so the client sees an abnormal closure.
    expect(code).toBe(1006);
  });

  it('keeps a connection that answers pings', async () => {
    const { server, dispose } = serve({ keepAliveMs: 50 });
    const socket = await connect(server);
    cleanups.push(async () => {
      socket.terminate();
      await dispose();
      server.close();
    });
    let closed = false;
    socket.on('close', () => (closed = true));
    await sleep(400);
    expect(closed).toBe(false);
    expect(socket.readyState).toBe(WebSocket.OPEN);
  });
});
