import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';
import { PROVIDER_KINDS } from '../../llm/provider-kinds.ts';

export const IntelligenceProviderSchema = defineEntity({
  name: 'IntelligenceProvider',
  tableName: 'intelligence_providers',
  schema: 'specs',
  properties: {
    ...baseProperties(),
    name: p.string().length(120).unique(),
    provider: p.enum(PROVIDER_KINDS).index(),
    /** Driver settings (model, limits, base URL); never a secret. */
    config: p.json<Record<string, unknown>>(),
    /** AES-256-GCM sealed API key (see security/secret-box.ts); null when none is stored. */
    apiKeyCiphertext: p.text().nullable().lazy(),
    apiKeyVersion: p.integer().nullable(),
    apiKeyHint: p.string().length(16).nullable(),
    isActive: p.boolean().default(false),
    description: p.text().default(''),
  },
  // At most one active configuration, enforced by the database itself.
  uniques: [{ name: 'intelligence_providers_one_active', properties: ['isActive'], where: { isActive: true } }],
});

export type IntelligenceProvider = InferEntity<typeof IntelligenceProviderSchema>;
