import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';
import { UserSchema } from './user.entity.ts';

export const AccessTokenSchema = defineEntity({
  name: 'AccessToken',
  tableName: 'access_tokens',
  schema: 'auth',
  properties: {
    ...baseProperties(),
    user: () => p.manyToOne(UserSchema).deleteRule('cascade').index(),
    /** SHA-256 of the token, hex: the token itself is never stored. */
    tokenHash: p.string().length(64).unique(),
    /** The token's first characters, so a person can tell tokens apart without the secret. */
    hint: p.string().length(16),
    name: p.string().length(200).nullable(),
    lastUsedAt: p.datetime().nullable(),
    expiresAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});

export type AccessToken = InferEntity<typeof AccessTokenSchema>;
