// The request body limit, for every route (GraphQL, graphql-sse, /v1/*, export): a body is counted on the
// bytes actually read (a chunked upload declares no length), unless Node's HTTP server delivered it with a
// Content-Length, which its parser then holds it to.
import { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';

export interface BodyLimitOptions {
  maxBytes: number;
  /** The 413 answer in the shape of the route at `url` (GraphQL errors, OpenAI's error, the REST error), with this message. */
  tooLarge(url: URL, message: string): Response;
}

/** The whole body, or null as soon as it passes `maxBytes` (the rest is left unread). */
async function readUpTo(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      size += next.value.byteLength;
      if (size > maxBytes) return null;
      chunks.push(next.value);
    }
  } finally {
    // Not cancel(): that would destroy the socket before the 413 is written; Node discards the rest.
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Reads each request body before any route sees it, up to `maxBytes` (whatever Content-Length says),
 * and hands the routes a request holding exactly those bytes; a body past the limit is answered 413 at
 * once. Register it first: every later hook and route reads the counted body. (Yoga's own
 * maxRequestBodySize counts too, but only for the documents it parses itself, not for the other routes.)
 */
export function bodyLimitPlugin(options: BodyLimitOptions): Plugin {
  const message = 'The request body is too large.';
  return {
    async onRequest({ request, url, fetchAPI, setRequest, endResponse, serverContext }) {
      if (request.body === null) return;
      const declared = Number(request.headers.get('content-length') ?? '0');
      // Over Node's HTTP server a body with a Content-Length within the limit is exactly that long: the
      // parser delivers no byte past it and refuses a request that also says Transfer-Encoding. Only the
      // others (chunked uploads, requests handed to yoga.fetch in process) are counted as they are read.
      if (Number.isSafeInteger(declared) && declared <= options.maxBytes && fromNodeWithLength(serverContext)) return;
      let body: Uint8Array<ArrayBuffer> | null;
      try {
        body = declared > options.maxBytes ? null : await readUpTo(request.body, options.maxBytes);
      } catch {
        // The client went away mid-upload: nobody reads this answer.
        endResponse(new fetchAPI.Response(null, { status: 400 }));
        return;
      }
      if (body === null) {
        endResponse(options.tooLarge(url, message));
        return;
      }
      setRequest(new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, body, signal: request.signal }));
    },
  };
}

/** Whether the request came through Node's HTTP server with a Content-Length and no Transfer-Encoding. */
function fromNodeWithLength(serverContext: unknown): boolean {
  const req = (serverContext as { req?: IncomingMessage } | undefined)?.req;
  return req instanceof IncomingMessage && req.headers['content-length'] !== undefined && req.headers['transfer-encoding'] === undefined;
}
