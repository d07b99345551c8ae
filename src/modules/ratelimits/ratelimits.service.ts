// Per-user rate-limit overrides (setUserRateLimit, User.rateLimit) and the one way a call path gets its
// RateLimiter (`createRateLimiter`), with the store the process was configured for.
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../db/query.ts';
import { AppError, badInput, notFound } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { type Actor, isAdmin } from '../auth/actor.ts';
import { type RateLimitOverride, type User, UserSchema } from '../auth/user.entity.ts';
import { effectiveLimits, NO_OVERRIDE, RateLimiter, type RateLimitOverrides } from './rate-limiter.ts';
import type { RedisWindowStore } from './redis-window-store.ts';
import type { Limits } from './sliding-window.ts';
import { PostgresWindowStore } from './window-store.ts';

/** What a process keeps for rate limits across units of work (runtime.ts builds it). */
export interface RateLimitRuntime {
  /** The shared counters in Redis (REDIS_URL); null: PostgreSQL, through each unit of work's EntityManager. */
  redis: RedisWindowStore | null;
  /** Overrides of actors that carry none (jobs), kept per process. */
  overrides: RateLimitOverrides;
  logger: Pick<Logger, 'warn'> | null;
}

const MAX_LIMIT = 2_147_483_647;

/** A user's stored overrides, in one read; a user that does not exist has none. */
export async function storedOverride(em: EntityManager, userId: string): Promise<RateLimitOverride> {
  const [row] = await em.execute<{ rpm: number | null; tpm: number | null }[]>(
    'select rate_limit_rpm as rpm, rate_limit_tpm as tpm from auth.users where id = ?',
    [userId],
  );
  return row ? { requestsPerMinute: row.rpm, tokensPerMinute: row.tpm } : NO_OVERRIDE;
}

export function createRateLimiter(em: EntityManager, defaults: Limits, runtime: RateLimitRuntime | undefined): RateLimiter {
  return new RateLimiter({
    defaults,
    store: runtime?.redis ?? new PostgresWindowStore(em),
    lookup: (userId) => storedOverride(em, userId),
    overrides: runtime?.overrides ?? null,
    logger: runtime?.logger ?? null,
  });
}

export class RateLimitsService {
  private readonly em: EntityManager;
  private readonly defaults: Limits;
  private readonly onChange: (userId: string) => void;

  /** `onChange`: a user's overrides changed; what replicas cached of that user must go (viewers, overrides). */
  constructor(em: EntityManager, defaults: Limits, onChange: (userId: string) => void = () => {}) {
    this.em = em;
    this.defaults = defaults;
    this.onChange = onChange;
  }

  /** The limits in force for a user: their overrides, else the defaults; null where there is none. */
  limitsOf(user: Pick<User, 'rateLimitRpm' | 'rateLimitTpm'>): Limits {
    return effectiveLimits({ requestsPerMinute: user.rateLimitRpm ?? null, tokensPerMinute: user.rateLimitTpm ?? null }, this.defaults);
  }

  /**
   * Admins: replaces a user's overrides. Each argument is a limit per minute (at least 1), or null to
   * remove that override (the default applies again). Takes effect at the user's next call on every
   * replica sharing REDIS_URL (without Redis, other replicas within 30 s).
   */
  async setUserRateLimit(actor: Actor, userId: string, requestsPerMinute: number | null, tokensPerMinute: number | null): Promise<User> {
    if (!isAdmin(actor)) throw new AppError('FORBIDDEN', 'Only admins set rate limits.');
    const rpm = validLimit('requestsPerMinute', requestsPerMinute);
    const tpm = validLimit('tokensPerMinute', tokensPerMinute);
    const user = isUuid(userId) ? await this.em.findOne(UserSchema, { id: userId }) : null;
    if (!user) throw notFound('The user');
    user.rateLimitRpm = rpm;
    user.rateLimitTpm = tpm;
    await this.em.flush();
    this.onChange(user.id);
    return user;
  }
}

function validLimit(field: string, value: number | null): number | null {
  if (value === null) return null;
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) throw badInput(`${field} must be a whole number of at least 1, or null to remove the override.`, { field });
  return value;
}
