import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * A cached answer (CallLlmInput.cache, config.cacheTtlSeconds): found by the hash of its scope (one user,
 * or one project), provider, model, messages, tools and parameters; served until `expiresAt`, swept after.
 * Unlogged: a cache lost in a crash is only a cache.
 */
export const ResponseCacheEntrySchema = defineEntity({
  name: 'ResponseCacheEntry',
  tableName: 'response_cache',
  schema: 'specs',
  properties: {
    /** sha256 (hex) of the canonical call, scope included (see response-cache.ts). */
    key: p.string().length(64).primary(),
    userId: p.uuid().nullable(),
    projectId: p.uuid().nullable().index(),
    /** The stored answer (a CallResult without its attempts). */
    result: p.json<unknown>(),
    sizeBytes: p.integer(),
    createdAt: p.datetime().index(),
    expiresAt: p.datetime().index(),
  },
});

export type ResponseCacheEntry = InferEntity<typeof ResponseCacheEntrySchema>;
