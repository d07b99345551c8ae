import { describe, expect, it } from 'vitest';
import { admits, type Limits, retryAfterSeconds, WINDOW_MS, waitMs, type WindowCounts, windowAt } from '../../../src/modules/ratelimits/sliding-window.ts';

/** The counters `ms` later with no traffic meanwhile: past the minute's edge the current minute becomes the previous. */
function later(counts: WindowCounts, elapsed: number, ms: number): { counts: WindowCounts; elapsed: number } {
  const at = elapsed + ms;
  if (at < WINDOW_MS) return { counts, elapsed: at };
  if (at < 2 * WINDOW_MS) return { counts: { previousRequests: counts.requests, previousTokens: counts.tokens, requests: 0, tokens: 0 }, elapsed: at - WINDOW_MS };
  return { counts: { previousRequests: 0, previousTokens: 0, requests: 0, tokens: 0 }, elapsed: at % WINDOW_MS };
}

function passesAfter(limits: Limits, counts: WindowCounts, elapsed: number, ms: number): boolean {
  const moved = later(counts, elapsed, ms);
  return admits(limits, moved.counts, moved.elapsed);
}

/** A small deterministic generator, so a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('the sliding minute', () => {
  it('places a moment in its fixed minute', () => {
    expect(windowAt(Date.UTC(2031, 0, 1, 0, 0, 59, 999))).toEqual({ start: Date.UTC(2031, 0, 1), previousStart: Date.UTC(2030, 11, 31, 23, 59), elapsed: 59_999 });
  });

  it('admits up to the requests limit in a minute and weighs the previous minute by its overlap', () => {
    const limits = { requestsPerMinute: 10, tokensPerMinute: null };
    expect(admits(limits, { previousRequests: 0, previousTokens: 0, requests: 9, tokens: 0 }, 0)).toBe(true);
    expect(admits(limits, { previousRequests: 0, previousTokens: 0, requests: 10, tokens: 0 }, 59_999)).toBe(false);
    // Ten at the end of the last minute: at the start of this one, none more (a fixed window would allow ten).
    expect(admits(limits, { previousRequests: 10, previousTokens: 0, requests: 0, tokens: 0 }, 1)).toBe(false);
    // A quarter into the minute, the previous one weighs 7.5: two more fit (7.5 + 2 <= 10), a third does not.
    expect(admits(limits, { previousRequests: 10, previousTokens: 0, requests: 1, tokens: 0 }, 15_000)).toBe(true);
    expect(admits(limits, { previousRequests: 10, previousTokens: 0, requests: 2, tokens: 0 }, 15_000)).toBe(false);
  });

  it('admits while the tokens are under the limit, whatever the call will use', () => {
    const limits = { requestsPerMinute: null, tokensPerMinute: 1000 };
    expect(admits(limits, { previousRequests: 0, previousTokens: 0, requests: 50, tokens: 999 }, 0)).toBe(true);
    expect(admits(limits, { previousRequests: 0, previousTokens: 0, requests: 0, tokens: 1000 }, 0)).toBe(false);
    expect(admits(limits, { previousRequests: 0, previousTokens: 2000, requests: 0, tokens: 0 }, 30_000)).toBe(false);
    expect(admits(limits, { previousRequests: 0, previousTokens: 2000, requests: 0, tokens: 0 }, 30_001)).toBe(true);
  });

  it('says to the millisecond when a refused request would pass, within the minute or past its edge', () => {
    const requests = { requestsPerMinute: 4, tokensPerMinute: null };
    // Four in this minute, 50 s in: the fifth passes once this minute weighs 3, 15 s into the next.
    expect(waitMs(requests, { previousRequests: 0, previousTokens: 0, requests: 4, tokens: 0 }, 50_000)).toBe(25_000);
    // Four in the previous minute, one in this: this minute, once the previous weighs 2 (30 s in).
    expect(waitMs(requests, { previousRequests: 4, previousTokens: 0, requests: 1, tokens: 0 }, 10_000)).toBe(20_000);
    const tokens = { requestsPerMinute: null, tokensPerMinute: 100 };
    // 120 tokens this minute, 10 s in: under 100 once they weigh less than 100, 10.001 s into the next.
    expect(waitMs(tokens, { previousRequests: 0, previousTokens: 0, requests: 2, tokens: 120 }, 10_000)).toBe(60_001);
    expect(waitMs(tokens, { previousRequests: 0, previousTokens: 0, requests: 2, tokens: 99 }, 10_000)).toBe(0);
  });

  it('gives the earliest moment, for both limits at once, over many states', () => {
    const next = random(42);
    const int = (max: number) => Math.floor(next() * (max + 1));
    for (let i = 0; i < 5000; i += 1) {
      const limits: Limits = {
        requestsPerMinute: next() < 0.2 ? null : 1 + int(20),
        tokensPerMinute: next() < 0.2 ? null : 1 + int(5000),
      };
      const counts: WindowCounts = { previousRequests: int(30), previousTokens: int(10_000), requests: int(30), tokens: int(10_000) };
      const elapsed = int(WINDOW_MS - 1);
      const wait = waitMs(limits, counts, elapsed);
      const state = JSON.stringify({ limits, counts, elapsed, wait });
      expect(wait, state).toBeGreaterThanOrEqual(0);
      expect(wait, state).toBeLessThanOrEqual(2 * WINDOW_MS);
      expect(passesAfter(limits, counts, elapsed, wait), state).toBe(true);
      if (wait > 0) expect(passesAfter(limits, counts, elapsed, wait - 1), state).toBe(false);
      else expect(admits(limits, counts, elapsed), state).toBe(true);
    }
  });

  it('rounds Retry-After up to whole seconds, at least 1', () => {
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(retryAfterSeconds(60_001)).toBe(61);
  });
});
