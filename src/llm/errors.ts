import { providerName } from './provider-kinds.ts';
import { parseRetryAfter } from './retry-after.ts';
import { scrubSecrets } from './secret-scrubber.ts';
import type { ProviderKind } from './types.ts';

/**
 * The normalized categories the app maps to its own error codes. API_KEY_REJECTED is kept apart
 * from API_KEY_REQUIRED because "add a key" and "your key was refused" call for different advice.
 */
export type ProviderErrorCode =
  | 'PROVIDER_ERROR'
  | 'RATE_LIMITED'
  | 'API_KEY_REQUIRED'
  | 'API_KEY_REJECTED'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'BAD_REQUEST';

export interface ProviderCallErrorInit {
  provider: ProviderKind;
  code: ProviderErrorCode;
  message: string;
  statusCode?: number | null;
  retryable?: boolean;
  retryAfterMs?: number | null;
  responseBody?: string;
  /** Values scrubbed from the message and body (the call's API key, exchanged tokens). */
  secrets?: ReadonlyArray<string | null | undefined>;
}

const MAX_BODY_LENGTH = 2000;

export class ProviderCallError extends Error {
  override readonly name = 'ProviderCallError';
  readonly provider: ProviderKind;
  readonly code: ProviderErrorCode;
  readonly statusCode: number | null;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;
  readonly responseBody?: string;

  constructor(init: ProviderCallErrorInit) {
    // Scrubbed before super() so the stack trace, which repeats the message, is clean too.
    super(scrubSecrets(init.message, init.secrets));
    this.provider = init.provider;
    this.code = init.code;
    this.statusCode = init.statusCode ?? null;
    this.retryable = init.retryable ?? false;
    this.retryAfterMs = init.retryAfterMs ?? null;
    if (init.responseBody !== undefined) {
      const body = scrubSecrets(init.responseBody, init.secrets);
      this.responseBody = body.length > MAX_BODY_LENGTH ? `${body.slice(0, MAX_BODY_LENGTH)}...` : body;
    }
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      provider: this.provider,
      message: this.message,
      statusCode: this.statusCode,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      responseBody: this.responseBody,
    };
  }
}

export function apiKeyRequiredError(provider: ProviderKind): ProviderCallError {
  return new ProviderCallError({
    provider,
    code: 'API_KEY_REQUIRED',
    message: `${providerName(provider)} needs an API key and none was configured for this call.`,
  });
}

export function abortedError(provider: ProviderKind): ProviderCallError {
  return new ProviderCallError({ provider, code: 'ABORTED', message: `The call to ${providerName(provider)} was cancelled.` });
}

export interface HttpFailure {
  status: number;
  headers?: Headers | Readonly<Record<string, string | undefined>> | null;
  /** The provider's own explanation, already extracted from its error body when possible. */
  providerMessage?: string;
  body?: string;
  retryAfterMs?: number | null;
}

/** Maps an HTTP error status (whatever SDK reported it) to the normalized error. */
export function errorFromHttpStatus(
  provider: ProviderKind,
  failure: HttpFailure,
  secrets: ReadonlyArray<string | null | undefined>,
): ProviderCallError {
  const name = providerName(provider);
  const { status } = failure;
  const detail = failure.providerMessage ? `: ${failure.providerMessage}` : '.';
  const common = { provider, statusCode: status, responseBody: failure.body, secrets };
  if (status === 401 || status === 403) {
    return new ProviderCallError({
      ...common,
      code: 'API_KEY_REJECTED',
      message: `${name} rejected the API key (HTTP ${status}). Check that the key is valid and allowed to use this model.`,
    });
  }
  if (status === 429) {
    const quotaExhausted = /insufficient_quota|quota exceeded|billing/i.test(`${failure.providerMessage ?? ''} ${failure.body ?? ''}`);
    return new ProviderCallError({
      ...common,
      code: 'RATE_LIMITED',
      retryable: !quotaExhausted,
      retryAfterMs: failure.retryAfterMs ?? parseRetryAfter(failure.headers),
      message: quotaExhausted
        ? `${name} reports that the account's quota is exhausted (HTTP 429)${detail}`
        : `${name} is rate limiting this key (HTTP 429); try again later${detail}`,
    });
  }
  if (status === 408) {
    return new ProviderCallError({ ...common, code: 'TIMEOUT', retryable: true, message: `${name} timed out (HTTP 408).` });
  }
  if (status >= 500) {
    return new ProviderCallError({
      ...common,
      code: 'PROVIDER_ERROR',
      retryable: true,
      retryAfterMs: failure.retryAfterMs ?? parseRetryAfter(failure.headers),
      message: `${name} failed with a server error (HTTP ${status})${detail}`,
    });
  }
  if (status === 400 || status === 404 || status === 413 || status === 422) {
    return new ProviderCallError({ ...common, code: 'BAD_REQUEST', message: `${name} refused the request (HTTP ${status})${detail}` });
  }
  // 409 is "try again" for OpenAI-style APIs; other 4xx are the caller's problem.
  return new ProviderCallError({
    ...common,
    code: 'PROVIDER_ERROR',
    retryable: status === 409,
    message: `${name} returned HTTP ${status}${detail}`,
  });
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function networkCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code: unknown = Reflect.get(current, 'code');
    if (typeof code === 'string' && /^E[A-Z]+/.test(code)) return code;
    current = current.cause;
  }
  return null;
}

export interface TransportContext {
  /** The caller's signal: when it fired, an abort is a cancellation, otherwise a timeout. */
  signal: AbortSignal;
  secrets: ReadonlyArray<string | null | undefined>;
  /** The SDK told us this was a timeout (its own timeout class). */
  timedOut?: boolean;
}

/** Errors that never got an HTTP status: aborts, timeouts, refused or dropped connections. */
export function errorFromTransport(provider: ProviderKind, error: unknown, context: TransportContext): ProviderCallError {
  const name = providerName(provider);
  if (context.signal.aborted) return abortedError(provider);
  const kind = errorName(error);
  if (context.timedOut || kind === 'TimeoutError' || kind === 'AbortError') {
    // An abort we did not ask for comes from a timer inside the SDK or our own deadline.
    return new ProviderCallError({ provider, code: 'TIMEOUT', retryable: true, message: `${name} did not answer in time.` });
  }
  const code = networkCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== null || (error instanceof TypeError && /fetch failed|terminated|network|socket/i.test(message))) {
    return new ProviderCallError({
      provider,
      code: 'PROVIDER_ERROR',
      retryable: true,
      secrets: context.secrets,
      message: `The connection to ${name} failed (${code ?? message}).`,
    });
  }
  return new ProviderCallError({
    provider,
    code: 'PROVIDER_ERROR',
    secrets: context.secrets,
    message: `The call to ${name} failed: ${message.length > 300 ? `${message.slice(0, 300)}...` : message}`,
  });
}

/** A stream that ended without the provider's final event: the connection was cut short. */
export function truncatedStreamError(provider: ProviderKind): ProviderCallError {
  return new ProviderCallError({
    provider,
    code: 'PROVIDER_ERROR',
    retryable: true,
    message: `${providerName(provider)} closed the stream before it finished.`,
  });
}
