// The counters in Redis (with REDIS_URL): one hash per user and minute, { r: requests, t: tokens }, that
// expires after the minute that reads it as "previous". An admission is one Lua script, so the check and
// the increment are atomic across replicas. The clock is the gateway's (minute keys are computed here),
// so replicas should keep their clocks in sync (NTP); skew only shifts a minute's edge.
//
// Redis down: admissions pass (fail open) and a warning is logged at most once a minute. Budgets, which
// live in PostgreSQL, still bound what anyone can spend; a Redis outage should not stop every call.
import type { Redis } from 'ioredis';
import { createRedisClient } from '../../events/pubsub.ts';
import type { Logger } from '../../logger.ts';
import { type Limits, WINDOW_MS, type WindowPosition } from './sliding-window.ts';
import type { Admission, WindowStore } from './window-store.ts';

// KEYS: this minute, the previous minute. ARGV: ms left of the previous minute in the sliding one
// (W - elapsed), requests limit (-1: none), tokens limit (-1: none), W, expiry in ms.
// The verdict is sliding-window.ts `admits`; the counters before this admission come back with it.
const ADMIT_SCRIPT = `
local remaining = tonumber(ARGV[1])
local rpm = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])
local W = tonumber(ARGV[4])
local current = redis.call('HMGET', KEYS[1], 'r', 't')
local previous = redis.call('HMGET', KEYS[2], 'r', 't')
local cr = tonumber(current[1]) or 0
local ct = tonumber(current[2]) or 0
local pr = tonumber(previous[1]) or 0
local pt = tonumber(previous[2]) or 0
local ok = (rpm < 0 or pr * remaining + (cr + 1) * W <= rpm * W) and (tpm < 0 or pt * remaining + ct * W < tpm * W)
if ok then
  redis.call('HINCRBY', KEYS[1], 'r', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
return { ok and 1 or 0, cr, ct, pr, pt }
`;

const ADD_TOKENS_SCRIPT = `
redis.call('HINCRBY', KEYS[1], 't', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

// A minute is read until the end of the next one; a little more for clock skew between replicas.
const EXPIRY_MS = 3 * WINDOW_MS;
const WARN_EVERY_MS = 60_000;

type ScriptedRedis = Redis & {
  rateLimitAdmit(current: string, previous: string, remaining: number, rpm: number, tpm: number, window: number, expiry: number): Promise<number[]>;
  rateLimitAddTokens(key: string, tokens: number, expiry: number): Promise<number>;
};

/**
 * A Redis client for rate limits (see events/pubsub.ts `createRedisClient`: it reconnects for ever and logs
 * an outage once): commands time out after a second. Before its first connection, commands wait (up to the
 * timeout) for it; after losing it, the store does not wait at all (see `RedisWindowStore.admit`).
 */
export function createRateLimitRedis(url: string, logger?: Pick<Logger, 'warn' | 'info'>): Redis {
  return createRedisClient(url, { purpose: 'rate limits: calls pass unchecked', logger, commandTimeoutMs: 1_000 });
}

export class RedisWindowStore implements WindowStore {
  private readonly client: ScriptedRedis;
  private readonly logger: Pick<Logger, 'warn'> | null;
  private readonly prefix: string;
  /** Until the first connection is made or fails, commands wait for it (with the timeout). */
  private firstConnection = true;
  private warnedAt = -Infinity;

  constructor(client: Redis, options: { logger?: Pick<Logger, 'warn'>; prefix?: string } = {}) {
    this.client = client as ScriptedRedis;
    this.logger = options.logger ?? null;
    this.prefix = options.prefix ?? 'agora:ratelimit';
    client.defineCommand('rateLimitAdmit', { numberOfKeys: 2, lua: ADMIT_SCRIPT });
    client.defineCommand('rateLimitAddTokens', { numberOfKeys: 1, lua: ADD_TOKENS_SCRIPT });
    if (client.status === 'ready') this.firstConnection = false;
    client.on('ready', () => (this.firstConnection = false));
    client.on('close', () => (this.firstConnection = false));
    // The connection's outage is logged by its factory; this store warns when a call passes unchecked.
    client.on('error', () => (this.firstConnection = false));
  }

  /** One user's minute; the braces keep both minutes of a user in one Redis Cluster slot. */
  private key(userId: string, windowStart: number): string {
    return `${this.prefix}:{${userId}}:${windowStart}`;
  }

  async admit(userId: string, limits: Limits, position: WindowPosition): Promise<Admission | null> {
    if (!this.usable()) return null;
    try {
      const [ok, requests, tokens, previousRequests, previousTokens] = await this.client.rateLimitAdmit(
        this.key(userId, position.start),
        this.key(userId, position.previousStart),
        WINDOW_MS - position.elapsed,
        limits.requestsPerMinute ?? -1,
        limits.tokensPerMinute ?? -1,
        WINDOW_MS,
        EXPIRY_MS,
      );
      return { admitted: ok === 1, counts: { previousRequests: previousRequests!, previousTokens: previousTokens!, requests: requests!, tokens: tokens! } };
    } catch (error) {
      this.warn(error);
      return null;
    }
  }

  async addTokens(userId: string, windowStart: number, tokens: number): Promise<void> {
    if (!this.usable()) return;
    try {
      await this.client.rateLimitAddTokens(this.key(userId, windowStart), tokens, EXPIRY_MS);
    } catch (error) {
      this.warn(error);
    }
  }

  /** The connection's state ("ready", "reconnecting", ...), for the readiness report. */
  get status(): string {
    return this.client.status;
  }

  close(): void {
    this.client.disconnect();
  }

  /** Ready, or making its first connection (commands queue, with the timeout); else fail open at once. */
  private usable(): boolean {
    if (this.client.status === 'ready') return true;
    if (this.firstConnection && this.client.status !== 'end') return true;
    this.warn(new Error(`Redis is ${this.client.status}`));
    return false;
  }

  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    this.logger?.warn({ err: { message: (error as Error)?.message ?? String(error) } }, 'rate limits are not enforced: Redis does not answer (calls pass)');
  }
}
