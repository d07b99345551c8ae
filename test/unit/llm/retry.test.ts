import { describe, expect, it } from 'vitest';
import { ProviderCallError, type ProviderErrorCode } from '../../../src/llm/errors.ts';
import { type RetryOptions, retryDelay, streamWithRetry, withRetry } from '../../../src/llm/retry.ts';
import type { StreamPart } from '../../../src/llm/types.ts';
import { collect } from './driver-contract.ts';

function failure(code: ProviderErrorCode, retryable: boolean, retryAfterMs: number | null = null): ProviderCallError {
  return new ProviderCallError({ provider: 'OPENAI', code, message: code, retryable, retryAfterMs });
}

function options(overrides: Partial<RetryOptions> = {}): RetryOptions & { delays: number[] } {
  const delays: number[] = [];
  return {
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    signal: new AbortController().signal,
    random: () => 0.5,
    sleep: async (delayMs) => {
      delays.push(delayMs);
    },
    delays,
    ...overrides,
  };
}

/** A call that fails with the given errors, in order, then succeeds. */
function flaky(...errors: ProviderCallError[]): { call: () => Promise<string>; attempts: () => number } {
  let attempts = 0;
  return {
    call: async () => {
      const error = errors[attempts];
      attempts += 1;
      if (error) throw error;
      return 'ok';
    },
    attempts: () => attempts,
  };
}

describe('withRetry', () => {
  it('retries retryable failures with growing, jittered delays', async () => {
    const retry = options();
    const { call, attempts } = flaky(failure('PROVIDER_ERROR', true), failure('TIMEOUT', true), failure('PROVIDER_ERROR', true));
    expect(await withRetry(call, retry)).toBe('ok');
    expect(attempts()).toBe(4);
    // base 100, 200, 400 with equal jitter at random() = 0.5: three quarters of each.
    expect(retry.delays).toEqual([75, 150, 300]);
  });

  it('never waits longer than maxDelayMs between attempts', () => {
    const retry = options({ random: () => 1 });
    expect(retryDelay(failure('PROVIDER_ERROR', true), 10, { ...retry, maxAttempts: 20 })).toBe(1000);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const retry = options({ maxAttempts: 2 });
    const last = failure('PROVIDER_ERROR', true);
    const { call, attempts } = flaky(failure('PROVIDER_ERROR', true), last, failure('PROVIDER_ERROR', true));
    await expect(withRetry(call, retry)).rejects.toBe(last);
    expect(attempts()).toBe(2);
  });

  it('does not retry what cannot succeed', async () => {
    const retry = options();
    const rejected = failure('API_KEY_REJECTED', false);
    const { call, attempts } = flaky(rejected);
    await expect(withRetry(call, retry)).rejects.toBe(rejected);
    expect(attempts()).toBe(1);
    expect(retry.delays).toEqual([]);
  });

  it('waits exactly as long as Retry-After asks', async () => {
    const retry = options();
    const onRetry: number[] = [];
    const { call } = flaky(failure('RATE_LIMITED', true, 700));
    await withRetry(call, { ...retry, onRetry: (info) => onRetry.push(info.delayMs) });
    expect(retry.delays).toEqual([700]);
    expect(onRetry).toEqual([700]);
  });

  it('gives up at once when Retry-After is longer than maxDelayMs', async () => {
    const retry = options({ maxDelayMs: 500 });
    const limited = failure('RATE_LIMITED', true, 60_000);
    const { call, attempts } = flaky(limited);
    await expect(withRetry(call, retry)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 60_000 });
    expect(attempts()).toBe(1);
    expect(retry.delays).toEqual([]);
  });

  it('stops waiting as soon as the signal fires', async () => {
    const controller = new AbortController();
    const { call, attempts } = flaky(failure('PROVIDER_ERROR', true));
    const started = Date.now();
    const pending = withRetry(call, { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(attempts()).toBe(1);
  });

  it('passes unexpected errors through untouched', async () => {
    const bug = new TypeError('bug');
    await expect(withRetry(() => Promise.reject(bug), options())).rejects.toBe(bug);
  });
});

async function* parts(...items: StreamPart[]): AsyncGenerator<StreamPart> {
  yield* items;
}

describe('streamWithRetry', () => {
  const finish: StreamPart = { type: 'finish', model: 'm', usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop', toolCalls: [] };

  it('retries a stream whose first part is a retryable error', async () => {
    const retry = options();
    let opened = 0;
    const result = await collect(
      streamWithRetry(() => {
        opened += 1;
        return opened === 1 ? parts({ type: 'error', error: failure('RATE_LIMITED', true, 200) }) : parts({ type: 'text-delta', text: 'hi' }, finish);
      }, retry),
    );
    expect(result).toEqual([{ type: 'text-delta', text: 'hi' }, finish]);
    expect(opened).toBe(2);
    expect(retry.delays).toEqual([200]);
  });

  it('never retries once text has been yielded: the error is passed on', async () => {
    let opened = 0;
    const broken = failure('PROVIDER_ERROR', true);
    const result = await collect(
      streamWithRetry(() => {
        opened += 1;
        return parts({ type: 'text-delta', text: 'partial' }, { type: 'error', error: broken });
      }, options()),
    );
    expect(result).toEqual([{ type: 'text-delta', text: 'partial' }, { type: 'error', error: broken }]);
    expect(opened).toBe(1);
  });

  it('ends with the last error part when the attempts run out', async () => {
    const retry = options({ maxAttempts: 3 });
    const errors = [failure('PROVIDER_ERROR', true), failure('PROVIDER_ERROR', true), failure('TIMEOUT', true)];
    let opened = 0;
    const result = await collect(streamWithRetry(() => parts({ type: 'error', error: errors[opened++] ?? failure('TIMEOUT', true) }), retry));
    expect(result).toEqual([{ type: 'error', error: errors[2] }]);
    expect(opened).toBe(3);
  });

  it('treats a stream that throws before its first part like an error part', async () => {
    let opened = 0;
    const result = await collect(
      streamWithRetry(() => {
        opened += 1;
        if (opened === 1) throw failure('PROVIDER_ERROR', true);
        return parts(finish);
      }, options()),
    );
    expect(result).toEqual([finish]);
  });
});
