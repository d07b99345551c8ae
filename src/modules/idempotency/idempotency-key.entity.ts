import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { UserSchema } from '../auth/user.entity.ts';

/**
 * A call made with an idempotency key: the first request claims the key (a row with no result), runs,
 * and stores its result; a repeat within the retention gets that result, and one that arrives while the
 * first runs waits for it. The request's hash tells a repeat from a different call under the same key.
 */
export const IdempotencyKeySchema = defineEntity({
  name: 'IdempotencyKey',
  tableName: 'idempotency_keys',
  schema: 'specs',
  properties: {
    user: () => p.manyToOne(UserSchema).deleteRule('cascade').primary(),
    key: p.string().length(255).primary(),
    requestHash: p.string().length(64),
    /** The stored result (JSON); null while the first call runs. */
    result: p.json<unknown>().nullable(),
    createdAt: p.datetime(),
    expiresAt: p.datetime().index(),
  },
});

export type IdempotencyKey = InferEntity<typeof IdempotencyKeySchema>;
