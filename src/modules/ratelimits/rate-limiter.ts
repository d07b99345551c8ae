// The rate-limit stage of a call's admission (CallsService.admit) and its accounting (CallsService.account).
// Per user, per sliding minute (sliding-window.ts): requests are counted when a call is admitted; tokens
// (input + output, when the provider reports them) are added when it ends, and a call is admitted while
// the minute's tokens are still under the limit. The limits in force are the user's overrides, else the
// defaults (RATE_LIMIT_RPM, RATE_LIMIT_TPM). A user with none sends no command anywhere.
import { AppError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { Actor } from '../auth/actor.ts';
import type { RateLimitOverride } from '../auth/user.entity.ts';
import { admits, hasLimits, type Limits, retryAfterSeconds, waitMs, type WindowCounts, windowAt } from './sliding-window.ts';
import type { WindowStore } from './window-store.ts';
import { countRateLimitRefusal } from './ratelimits.metrics.ts';

/** An actor as calls see it; a request's Viewer also carries its overrides, read with the token. */
export type RateLimitedActor = Actor & { rateLimit?: RateLimitOverride };

/** A user without overrides (or one that does not exist). */
export const NO_OVERRIDE: RateLimitOverride = { requestsPerMinute: null, tokensPerMinute: null };

/**
 * Users' overrides kept per process for actors that do not carry them (analyses and other jobs act for
 * their owner by id and role only): 30 s, and dropped at once, here and in every replica sharing
 * REDIS_URL, when an admin changes them (the `auth:revoked` message of that user; see runtime.ts).
 */
export class RateLimitOverrides {
  private readonly entries = new Map<string, { value: RateLimitOverride; cachedAt: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private generation = 0;

  constructor(options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  async get(userId: string, load: () => Promise<RateLimitOverride>, now = Date.now()): Promise<RateLimitOverride> {
    const cached = this.entries.get(userId);
    if (cached && now - cached.cachedAt < this.ttlMs) return cached.value;
    const generation = this.generation;
    const value = await load();
    if (generation === this.generation) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(userId, { value, cachedAt: now });
    }
    return value;
  }

  forget(userId: string): void {
    this.generation += 1;
    this.entries.delete(userId);
  }
}

export interface RateLimiterOptions {
  defaults: Limits;
  store: WindowStore;
  /** A user's stored overrides (one SQL read); used when the actor carries none. */
  lookup: (userId: string) => Promise<RateLimitOverride>;
  /** Per-process cache of `lookup`; absent: every such call looks up. */
  overrides?: RateLimitOverrides | null;
  logger?: Pick<Logger, 'warn'> | null;
  /** The clock (ms since the epoch); tests move it. */
  now?: () => number;
}

export class RateLimiter {
  private readonly options: RateLimiterOptions;
  private readonly now: () => number;

  constructor(options: RateLimiterOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** The limits in force for an actor: its overrides, else the defaults. No I/O when the actor carries its overrides. */
  limitsFor(actor: RateLimitedActor): Limits | Promise<Limits> {
    if (actor.rateLimit) return effectiveLimits(actor.rateLimit, this.options.defaults);
    const { overrides, lookup } = this.options;
    const stored = overrides ? overrides.get(actor.id, () => lookup(actor.id), this.now()) : lookup(actor.id);
    return stored.then((override) => effectiveLimits(override, this.options.defaults));
  }

  /** Counts the call, or refuses it with RATE_LIMITED and `retryAfter` (seconds) before anything goes upstream. */
  async admit(actor: RateLimitedActor): Promise<void> {
    const limits = await this.limitsFor(actor);
    if (!hasLimits(limits)) return;
    const position = windowAt(this.now());
    const admission = await this.options.store.admit(actor.id, limits, position);
    if (!admission || admission.admitted) return;
    const wait = waitMs(limits, admission.counts, position.elapsed);
    const retryAfter = retryAfterSeconds(wait);
    countRateLimitRefusal(limits, admission.counts, position.elapsed);
    throw new AppError('RATE_LIMITED', `${refusal(limits, admission.counts, position.elapsed)} Try again in ${retryAfter} s.`, {
      retryAfter,
      retryAfterMs: Math.max(wait, 1),
    });
  }

  /**
   * Adds a finished call's tokens to the current minute, when a tokens limit is in force (null: the
   * provider reported none). Never throws: the call's usage row is already written.
   */
  async settle(actor: RateLimitedActor, tokens: number | null): Promise<void> {
    if (tokens === null || tokens <= 0) return;
    try {
      const limits = await this.limitsFor(actor);
      if (limits.tokensPerMinute === null) return;
      await this.options.store.addTokens(actor.id, windowAt(this.now()).start, tokens);
    } catch (error) {
      this.options.logger?.warn({ err: error, userId: actor.id }, "a call's tokens could not be added to its rate limit");
    }
  }
}

export function effectiveLimits(override: RateLimitOverride, defaults: Limits): Limits {
  return {
    requestsPerMinute: override.requestsPerMinute ?? defaults.requestsPerMinute,
    tokensPerMinute: override.tokensPerMinute ?? defaults.tokensPerMinute,
  };
}

function refusal(limits: Limits, counts: WindowCounts, elapsed: number): string {
  const overRequests = limits.requestsPerMinute !== null && !admits({ requestsPerMinute: limits.requestsPerMinute, tokensPerMinute: null }, counts, elapsed);
  return overRequests
    ? `Rate limit reached: at most ${limits.requestsPerMinute} requests per minute.`
    : `Rate limit reached: at most ${limits.tokensPerMinute} tokens per minute.`;
}
