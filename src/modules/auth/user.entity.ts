import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';

export const ROLES = ['ADMIN', 'MEMBER'] as const;
export type Role = (typeof ROLES)[number];

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  schema: 'auth',
  properties: {
    ...baseProperties(),
    email: p.string().length(320).unique(),
    name: p.string().length(200).nullable(),
    role: p.enum(ROLES).default('MEMBER'),
    /** Rate-limit overrides (modules/ratelimits): requests and tokens per minute; null: RATE_LIMIT_RPM/TPM apply. */
    rateLimitRpm: p.integer().nullable(),
    rateLimitTpm: p.integer().nullable(),
  },
});

export type User = InferEntity<typeof UserSchema>;

/**
 * A user's own rate limits as stored (setUserRateLimit), carried on the request's Viewer so a call needs no
 * lookup: null in a dimension means no override there (the RATE_LIMIT_RPM/TPM default applies).
 */
export interface RateLimitOverride {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}
