import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { UserSchema } from '../auth/user.entity.ts';

/**
 * One user's counters for one fixed minute, as the PostgreSQL store keeps them (with REDIS_URL, Redis
 * keeps them instead): requests admitted and tokens used. A sliding minute reads this minute's row and
 * the previous one's (sliding-window.ts); older rows are swept. `admitted` is the verdict of the last
 * admission, written and returned by the same statement that counted it.
 */
export const RateLimitWindowSchema = defineEntity({
  name: 'RateLimitWindow',
  tableName: 'rate_limit_windows',
  schema: 'specs',
  properties: {
    user: () => p.manyToOne(UserSchema).deleteRule('cascade').primary(),
    windowStart: p.datetime().primary(),
    requests: p.integer().default(0),
    tokens: p.bigint('number').default(0),
    admitted: p.boolean().default(true),
  },
});

export type RateLimitWindow = InferEntity<typeof RateLimitWindowSchema>;
