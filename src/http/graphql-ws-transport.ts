// graphql-ws's protocol server (makeServer) on a `ws` WebSocketServer: our own transport in place of
// graphql-ws/use/ws, which the library offers as a starter to adapt. The difference is the send: the
// starter makes every message wait for its socket write's callback (a promise, a callback and a tick per
// message per subscriber); here a message is written and the subscription goes on at once while the
// socket's buffer is small, and waits for the write only once the client reads slower than it is sent to,
// so a stalled client holds its own subscriptions back instead of queueing without bound.
import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, type ServerOptions, makeServer } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../logger.ts';

/** What each connection's graphql-ws context carries in `extra`. */
export interface WebSocketExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

export interface TransportOptions {
  logger: Pick<Logger, 'error'>;
  /** Between keep-alive pings; a socket that has not answered the last ping by the next is terminated. */
  keepAliveMs?: number;
  /** Buffered bytes past which a message waits for its write (the client's backpressure). */
  highWaterBytes?: number;
}

const WS_KEEP_ALIVE_MS = 12_000;
const WS_HIGH_WATER_BYTES = 1024 * 1024;

/** Serves graphql-ws on `webSockets`; returns its disposer (closes every client with 1001, then the server). */
export function serveGraphqlWsTransport<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, WebSocketExtra>,
  webSockets: WebSocketServer,
  transport: TransportOptions,
): () => Promise<void> {
  const { logger } = transport;
  const keepAliveMs = transport.keepAliveMs ?? WS_KEEP_ALIVE_MS;
  const highWaterBytes = transport.highWaterBytes ?? WS_HIGH_WATER_BYTES;
  const server = makeServer(options);
  webSockets.options.handleProtocols = handleProtocols;
  webSockets.once('error', (error) => {
    logger.error({ err: error }, 'the WebSocket server failed; closing its connections');
    for (const client of webSockets.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });

  webSockets.on('connection', (socket, request) => {
    socket.once('error', (error) => {
      logger.error({ err: error }, 'a WebSocket connection failed');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    let answered = true;
    const pings = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      if (!answered) {
        socket.terminate();
        return;
      }
      answered = false;
      socket.ping();
    }, keepAliveMs);
    pings.unref();
    socket.on('pong', () => {
      answered = true;
    });

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          if (socket.readyState !== socket.OPEN) return;
          if (socket.bufferedAmount < highWaterBytes) {
            socket.send(data);
            return;
          }
          return new Promise<void>((resolve, reject) => socket.send(data, (error) => (error ? reject(error) : resolve())));
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((error: unknown) => {
              logger.error({ err: error }, 'a WebSocket message could not be handled');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearInterval(pings);
      void closed(code, String(reason));
    });
  });

  return async () => {
    for (const client of webSockets.clients) client.close(1001, 'Going away');
    webSockets.removeAllListeners();
    await new Promise<void>((resolve, reject) => webSockets.close((error) => (error ? reject(error) : resolve())));
  };
}
