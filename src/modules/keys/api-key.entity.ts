import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';
import { KEY_KINDS } from '../../llm/provider-kinds.ts';
import { UserSchema } from '../auth/user.entity.ts';


/** A user's own provider key, sealed with the master key (security/secret-box.ts). */
export const ApiKeySchema = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  schema: 'auth',
  properties: {
    ...baseProperties(),
    user: () => p.manyToOne(UserSchema).deleteRule('cascade'),
    provider: p.enum(KEY_KINDS),
    label: p.string().length(200).nullable(),
    ciphertext: p.text().lazy(),
    keyVersion: p.integer(),
    hint: p.string().length(16),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
  // One live key per user and provider: a new one revokes the old in the same transaction.
  uniques: [{ name: 'api_keys_one_live_per_provider', properties: ['user', 'provider'], where: { revokedAt: null } }],
  indexes: [{ properties: ['user', 'createdAt'] }],
});

export type ApiKey = InferEntity<typeof ApiKeySchema>;
