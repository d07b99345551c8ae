// The console's only way to the server: GraphQL over HTTP for queries and mutations, and over
// Server-Sent Events (POST with Accept: text/event-stream, read with fetch) for subscriptions, with the
// token in the Authorization header. Everything goes to this origin.
import { storedToken } from './session.js';

const ENDPOINT = '/graphql';

export class ApiError extends Error {
  constructor(message, code, errors = []) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.errors = errors;
  }
}

const unauthenticatedListeners = new Set();

/** Called with the API's message whenever a request is refused as UNAUTHENTICATED (a revoked token). */
export function onUnauthenticated(listener) {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

function headersFor(token, accept) {
  const headers = { 'content-type': 'application/json', accept };
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

function failure(errors) {
  const first = errors[0] ?? {};
  const code = first.extensions?.code ?? 'ERROR';
  return new ApiError(first.message ?? 'The request failed.', code, errors);
}

function networkError(error) {
  if (error?.name === 'AbortError') return error;
  return new ApiError(`The gateway cannot be reached (${error?.message ?? error}).`, 'NETWORK');
}

/** Runs a query or mutation; resolves with `data`, or rejects with an ApiError carrying the first error's code. */
export async function request(query, variables = {}, options = {}) {
  const token = options.token === undefined ? storedToken() : options.token;
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: 'POST',
      headers: headersFor(token, 'application/json'),
      body: JSON.stringify({ query, variables }),
      signal: options.signal,
    });
  } catch (error) {
    throw networkError(error);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The gateway answered ${response.status} without a GraphQL result.`, 'BAD_RESPONSE');
  }
  if (body.errors?.length) {
    const error = failure(body.errors);
    if (error.code === 'UNAUTHENTICATED' && options.token === undefined) unauthenticatedListeners.forEach((listener) => listener(error.message));
    throw error;
  }
  return body.data;
}

/** One SSE message block ("event: next\ndata: {...}") as { event, data }. */
function parseBlock(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return { event, data: data.join('\n') };
}

/**
 * Starts a subscription over SSE. `onNext(data)` for each result; the returned promise resolves when the
 * server completes the stream and rejects on an error (an ApiError, or one saying the stream broke off, so
 * the caller may resume). `signal` stops it.
 */
export async function subscribe(query, variables, onNext, signal) {
  const token = storedToken();
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: 'POST',
      headers: headersFor(token, 'text/event-stream'),
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (error) {
    throw networkError(error);
  }
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const body = await response.json().catch(() => null);
    const error = body?.errors?.length ? failure(body.errors) : new ApiError(`The gateway answered ${response.status} instead of a stream.`, 'BAD_RESPONSE');
    if (error.code === 'UNAUTHENTICATED') unauthenticatedListeners.forEach((listener) => listener(error.message));
    throw error;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw networkError(error);
      }
      if (chunk.done) throw new ApiError('The stream broke off before it completed.', 'STREAM_CLOSED');
      // Yoga ends lines with \n; CRLF is folded so a block always ends at a blank line.
      buffer = (buffer + chunk.value).replace(/\r\n/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message = parseBlock(block);
        if (message.event === 'complete') return;
        if (message.event !== 'next' || !message.data) continue;
        const result = JSON.parse(message.data);
        if (result.errors?.length) throw failure(result.errors);
        onNext(result.data);
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
