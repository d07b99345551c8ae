// The one place provider calls are retried: every SDK client runs with its own retries off, so a
// 429 retried into a success is one call for usage accounting, and Retry-After is honoured here.
import { abortedError, ProviderCallError } from './errors.ts';
import type { StreamPart } from './types.ts';

export interface RetryInfo {
  /** The attempt that failed, counting from 1. */
  attempt: number;
  delayMs: number;
  error: ProviderCallError;
}

export interface RetryOptions {
  /** Total attempts including the first one. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  signal: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  /** Tests inject these to assert delays without waiting for real time. */
  sleep?: (delayMs: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

export function sleepWithSignal(delayMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The wait before the next attempt, or null to give up. Retry-After wins over backoff; a
 * Retry-After longer than we are willing to wait means the caller should hear about it now.
 */
export function retryDelay(error: ProviderCallError, attempt: number, options: RetryOptions): number | null {
  if (!error.retryable || attempt >= options.maxAttempts) return null;
  if (error.retryAfterMs !== null) {
    return error.retryAfterMs > options.maxDelayMs ? null : error.retryAfterMs;
  }
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  // "Equal jitter": at least half the backoff, so concurrent callers spread out but still wait.
  const random = options.random ?? Math.random;
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

async function waitBeforeRetry(error: ProviderCallError, attempt: number, options: RetryOptions): Promise<boolean> {
  const delayMs = retryDelay(error, attempt, options);
  if (delayMs === null) return false;
  options.onRetry?.({ attempt, delayMs, error });
  try {
    await (options.sleep ?? sleepWithSignal)(delayMs, options.signal);
  } catch {
    throw abortedError(error.provider);
  }
  if (options.signal.aborted) throw abortedError(error.provider);
  return true;
}

/** Runs `call` until it succeeds, fails for good, or the attempts run out. */
export async function withRetry<T>(call: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call(attempt);
    } catch (error) {
      if (!(error instanceof ProviderCallError)) throw error;
      if (options.signal.aborted) throw error.code === 'ABORTED' ? error : abortedError(error.provider);
      if (!(await waitBeforeRetry(error, attempt, options))) throw error;
    }
  }
}

/**
 * Retries a stream only while nothing has reached the consumer: once a part has been yielded,
 * a later failure is passed on as an `error` part, because the consumer has already shown text.
 */
export async function* streamWithRetry(
  open: (attempt: number) => AsyncIterable<StreamPart>,
  options: RetryOptions,
): AsyncGenerator<StreamPart> {
  for (let attempt = 1; ; attempt += 1) {
    let failure: ProviderCallError | null = null;
    let yielded = false;
    try {
      for await (const part of open(attempt)) {
        if (!yielded && part.type === 'error') {
          failure = part.error;
          break;
        }
        yielded = true;
        yield part;
      }
    } catch (error) {
      if (!(error instanceof ProviderCallError) || yielded) throw error;
      failure = error;
    }
    if (failure === null) return;
    if (options.signal.aborted || !(await waitBeforeRetry(failure, attempt, options).catch(() => false))) {
      yield { type: 'error', error: options.signal.aborted ? abortedError(failure.provider) : failure };
      return;
    }
  }
}
