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
    /** Configurations to go on with, in order, when this one fails before answering (see calls/call-chain.ts). */
    fallbackIds: p.array<string>().columnType('uuid[]').defaultRaw("'{}'"),
  },
  // At most one active configuration, enforced by the database itself.
  uniques: [{ name: 'intelligence_providers_one_active', properties: ['isActive'], where: { isActive: true } }],
});

export type IntelligenceProvider = InferEntity<typeof IntelligenceProviderSchema>;

export const CIRCUIT_STATES = ['CLOSED', 'OPEN', 'HALF_OPEN'] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/**
 * A configuration's circuit breaker, shared by every replica: failures counted in a window; at the
 * threshold it opens (routing skips it) until its cool-down ends, then one call claims the trial
 * (HALF_OPEN): success closes it, failure opens it again. No row: CLOSED with no failures.
 */
export const ProviderHealthSchema = defineEntity({
  name: 'ProviderHealth',
  tableName: 'provider_health',
  schema: 'specs',
  properties: {
    configuration: () => p.manyToOne(IntelligenceProviderSchema).deleteRule('cascade').primary(),
    state: p.enum(CIRCUIT_STATES).default('CLOSED'),
    failures: p.integer().default(0),
    windowStartedAt: p.datetime().nullable(),
    openedAt: p.datetime().nullable(),
    /** When the half-open trial was claimed; a trial older than the cool-down is given up. */
    trialAt: p.datetime().nullable(),
    lastError: p.string().length(300).nullable(),
    lastErrorAt: p.datetime().nullable(),
    updatedAt: p.datetime(),
  },
});

export type ProviderHealth = InferEntity<typeof ProviderHealthSchema>;
