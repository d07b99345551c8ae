// The two bare proxies' shared part (bench/children/*-proxy.child.ts): a node:http server on 127.0.0.1 that
// reads the whole request, hands its body to the proxy's own handler, and answers 502 when the provider
// call fails (or cuts the stream, once its headers are out).
import { createServer, type ServerResponse } from 'node:http';
import { serveHttpToParent } from './child-process.ts';

/** Whether a request body asks for a stream (`"stream": true`); the bench's calls send `{}`. */
export function asksForStream(body: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && Reflect.get(parsed, 'stream') === true;
  } catch {
    return false;
  }
}

export async function serveProxy(handle: (body: string, response: ServerResponse) => Promise<void>): Promise<void> {
  const server = createServer((incoming, response) => {
    void (async () => {
      let body = '';
      for await (const chunk of incoming) body += String(chunk);
      try {
        await handle(body, response);
      } catch (error) {
        if (response.headersSent) {
          response.destroy();
          return;
        }
        response.writeHead(502, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
      }
    })();
  });
  await serveHttpToParent(server);
}
