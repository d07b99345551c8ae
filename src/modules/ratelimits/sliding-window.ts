// The window arithmetic of rate limits, free of any store: a sliding minute estimated from two fixed
// minutes. The estimate of what was used in the last 60 s, at `elapsed` ms into the current minute, is
//
//     previous * (W - elapsed) / W + current
//
// (the previous minute counts in proportion to how much of it the sliding minute still covers). Unlike a
// fixed window, a burst at the end of one minute still counts at the start of the next, so no client gets
// twice its limit across an edge. Without new traffic the estimate only falls (continuously, also across
// a minute's edge), which makes "when would a request pass" a closed formula. Everything is integer
// arithmetic in milliseconds, so every store (Redis' Lua, PostgreSQL's SQL, this file) decides alike.

export const WINDOW_MS = 60_000;

/** Limits in force for one user; null: none in that dimension. */
export interface Limits {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

/** The counters of the current and the previous fixed minute, as a store read them. */
export interface WindowCounts {
  previousRequests: number;
  previousTokens: number;
  requests: number;
  tokens: number;
}

/** Where `now` falls: the current minute's start (ms since the epoch), the previous one's, and how far in. */
export interface WindowPosition {
  start: number;
  previousStart: number;
  elapsed: number;
}

export function windowAt(now: number): WindowPosition {
  const start = Math.floor(now / WINDOW_MS) * WINDOW_MS;
  return { start, previousStart: start - WINDOW_MS, elapsed: now - start };
}

export function hasLimits(limits: Limits): boolean {
  return limits.requestsPerMinute !== null || limits.tokensPerMinute !== null;
}

/** One more request keeps the sliding minute's requests within the limit. */
export function requestsFit(limit: number | null, counts: WindowCounts, elapsed: number): boolean {
  return limit === null || counts.previousRequests * (WINDOW_MS - elapsed) + (counts.requests + 1) * WINDOW_MS <= limit * WINDOW_MS;
}

/** The sliding minute's tokens are still under the limit (the call's own tokens are added when it ends). */
export function tokensFit(limit: number | null, counts: WindowCounts, elapsed: number): boolean {
  return limit === null || counts.previousTokens * (WINDOW_MS - elapsed) + counts.tokens * WINDOW_MS < limit * WINDOW_MS;
}

export function admits(limits: Limits, counts: WindowCounts, elapsed: number): boolean {
  return requestsFit(limits.requestsPerMinute, counts, elapsed) && tokensFit(limits.tokensPerMinute, counts, elapsed);
}

/**
 * Milliseconds from `elapsed` until a request would pass, if nothing else arrives meanwhile (0: it passes
 * now). Each dimension's condition, once true, stays true as time goes on, so both hold at the later of
 * the two moments.
 */
export function waitMs(limits: Limits, counts: WindowCounts, elapsed: number): number {
  return Math.max(requestsWaitMs(limits.requestsPerMinute, counts, elapsed), tokensWaitMs(limits.tokensPerMinute, counts, elapsed));
}

function requestsWaitMs(limit: number | null, counts: WindowCounts, elapsed: number): number {
  if (requestsFit(limit, counts, elapsed) || limit === null) return 0;
  const { previousRequests: previous, requests: current } = counts;
  if (current + 1 <= limit) {
    // Still this minute, once the previous one weighs little enough: previous * (W - e) <= (limit - current - 1) * W.
    const at = WINDOW_MS - Math.floor(((limit - current - 1) * WINDOW_MS) / previous);
    return at - elapsed;
  }
  // Next minute, where this one is the previous: current * (W - e) <= (limit - 1) * W.
  const at = WINDOW_MS - Math.floor(((limit - 1) * WINDOW_MS) / current);
  return WINDOW_MS - elapsed + at;
}

function tokensWaitMs(limit: number | null, counts: WindowCounts, elapsed: number): number {
  if (tokensFit(limit, counts, elapsed) || limit === null) return 0;
  const { previousTokens: previous, tokens: current } = counts;
  if (current < limit) {
    // previous * (W - e) < (limit - current) * W, i.e. W - e <= ceil((limit - current) * W / previous) - 1.
    const at = WINDOW_MS - ceilDiv((limit - current) * WINDOW_MS, previous) + 1;
    return at - elapsed;
  }
  // Next minute: current * (W - e) < limit * W.
  const at = WINDOW_MS - ceilDiv(limit * WINDOW_MS, current) + 1;
  return WINDOW_MS - elapsed + at;
}

function ceilDiv(dividend: number, divisor: number): number {
  return Math.floor((dividend + divisor - 1) / divisor);
}

/** Retry-After in whole seconds: rounded up, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
