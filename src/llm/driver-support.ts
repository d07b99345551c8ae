// Small pieces every driver needs: key checks, abort plumbing and the stream guard.
import { OutboundRedirectError, outboundErrorOf, outboundFetch } from '../net/guarded-fetch.ts';
import { abortedError, apiKeyRequiredError, ProviderCallError, truncatedStreamError } from './errors.ts';
import { providerName } from './provider-kinds.ts';
import type { DriverCapabilities, DriverSettings, GenerateRequest, ProviderKind, StreamPart } from './types.ts';

export function requireApiKey(kind: ProviderKind, settings: DriverSettings): string {
  if (!settings.apiKey) throw apiKeyRequiredError(kind);
  return settings.apiKey;
}

/** Until a driver maps tools and response formats, it serves plain text conversations only. */
export const TEXT_ONLY: DriverCapabilities = { tools: false, forcedToolChoice: false, responseFormats: ['text'] };

/** The system messages' text, joined, for APIs that take system text as one top-level field. */
export function systemText(request: GenerateRequest): string | undefined {
  const parts = request.messages.flatMap((message) => (message.role === 'system' ? [message.content] : []));
  return parts.length ? parts.join('\n\n') : undefined;
}

export type ErrorMapper = (error: unknown) => ProviderCallError;

/**
 * The outbound policy's refusals (an address not allowed, a redirect), wherever the SDK wrapped them:
 * the same on every attempt, so never retried. Null for any other error.
 */
export function outboundFailure(kind: ProviderKind, error: unknown): ProviderCallError | null {
  const refusal = outboundErrorOf(error);
  if (refusal === null) return null;
  const name = providerName(kind);
  return refusal instanceof OutboundRedirectError
    ? new ProviderCallError({ provider: kind, code: 'PROVIDER_ERROR', statusCode: refusal.status, message: `The call to ${name} failed: ${refusal.message}.` })
    : new ProviderCallError({ provider: kind, code: 'PROVIDER_ERROR', message: `The call to ${name} was not made because ${refusal.message}.` });
}

/**
 * Wraps a driver's stream so that it never throws: failures become one `error` part, a stream
 * cut short without the provider's final event becomes an error too, and the upstream request
 * is aborted whenever the consumer stops early (a client that went away must not keep a paid
 * generation running).
 */
export async function* guardStream(
  kind: ProviderKind,
  callerSignal: AbortSignal,
  toError: ErrorMapper,
  produce: (upstreamSignal: AbortSignal) => AsyncIterable<StreamPart> | Promise<AsyncIterable<StreamPart>>,
): AsyncGenerator<StreamPart> {
  const upstream = new AbortController();
  const forwardAbort = (): void => upstream.abort(callerSignal.reason);
  if (callerSignal.aborted) forwardAbort();
  else callerSignal.addEventListener('abort', forwardAbort, { once: true });
  try {
    // A driver opens its request first and then hands over the parts (no generator of its own around them).
    for await (const part of await produce(upstream.signal)) {
      yield part;
      if (part.type === 'finish' || part.type === 'error') return;
    }
    // Some SDKs end a stream quietly when it is aborted or the connection closes early.
    yield { type: 'error', error: callerSignal.aborted ? abortedError(kind) : truncatedStreamError(kind) };
  } catch (error) {
    yield { type: 'error', error: toError(error) };
  } finally {
    callerSignal.removeEventListener('abort', forwardAbort);
    // With a reason made once: abort() without one builds a DOMException (its stack captured) per stream.
    upstream.abort(STREAM_ENDED);
  }
}

/** Why a stream's upstream request is aborted once the stream is over (or its consumer went away). */
const STREAM_ENDED = new DOMException('The stream ended.', 'AbortError');

/**
 * A fetch for SDKs that take no timeout of their own with a caller signal (Mistral, Ollama):
 * the caller's signal aborts the request at any time, and `timeoutMs` bounds the wait for the
 * response headers. A TimeoutError reason lets the error mapping tell a timeout from a cancel.
 * It goes through the outbound policy's guarded fetch, as every provider connection does.
 */
export function fetchWithDeadline(callerSignal: AbortSignal, timeoutMs: number | undefined): typeof fetch {
  return async (input, init) => {
    const deadline = new AbortController();
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => deadline.abort(new DOMException('The provider did not answer in time.', 'TimeoutError')), timeoutMs);
    const signals = [callerSignal, deadline.signal];
    const requestSignal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    if (requestSignal) signals.push(requestSignal);
    try {
      return await outboundFetch(input, { ...init, signal: AbortSignal.any(signals) });
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * SDK clients by the settings they were made with, so calls with the same endpoint and key reuse one
 * client (and its connection pool) instead of building one per call. Bounded: the least recently used
 * client goes first. Only for SDKs whose client holds no per-call state (signals are passed per request).
 */
export class ClientPool<Client> {
  private readonly clients = new Map<string, Client>();
  private readonly max: number;

  constructor(max = 64) {
    this.max = max;
  }

  get(parts: readonly (string | number | undefined | null)[], create: () => Client): Client {
    const id = JSON.stringify(parts);
    const found = this.clients.get(id);
    if (found) {
      this.clients.delete(id);
      this.clients.set(id, found);
      return found;
    }
    const client = create();
    if (this.clients.size >= this.max) {
      const oldest = this.clients.keys().next().value;
      if (oldest !== undefined) this.clients.delete(oldest);
    }
    this.clients.set(id, client);
    return client;
  }
}
