import { z } from 'zod';
import { type ConfiguredPrices, configuredPricesSchema } from '../../llm/prices/configured.ts';
import { type ExtraConfigKey, PROVIDER_KIND_INFO, PROVIDER_KINDS, type ProviderKind } from '../../llm/provider-kinds.ts';
import { badInput } from '../../errors.ts';
import { checkOutboundUrl, type OutboundPolicy, outboundPolicy } from '../../net/outbound-policy.ts';

// `config` keys every driver understands, plus each kind's extra keys (provider-kinds.ts). Unknown keys are refused.
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(500);

const common = {
  model: z.string().trim().min(1).max(200),
  maxTokens: z.number().int().min(1).max(1_000_000),
  temperature: z.number().min(0).max(2),
  timeoutMs: z.number().int().min(100).max(600_000),
  baseUrl: httpUrl,
  /**
   * Prices of the calls this configuration serves, by model id ("*": any model it does not name), in
   * USD per 1k tokens; they come before the catalogue's (src/llm/prices/configured.ts).
   */
  prices: configuredPricesSchema,
  /** Caches this configuration's answers for so many seconds (up to 30 days), as if every call asked `cache: true`. */
  cacheTtlSeconds: z.number().int().min(1).max(2_592_000),
  /** Configurations of one kind with the same group share its traffic, by weight (see calls/call-router.ts). */
  group: z.string().trim().regex(/^[\w.:-]{1,64}$/, 'must be 1 to 64 letters, digits and . : _ -'),
  /** This configuration's share of its group's traffic (default 1). */
  weight: z.number().int().min(1).max(1000),
};

const extra = { host: httpUrl, tokenUrl: httpUrl };

function schemaOf(kind: ProviderKind): z.ZodType<ProviderConfig> {
  const info = PROVIDER_KIND_INFO[kind];
  // The local provider calls no API: a model name is all it takes.
  if (!info.remote) return z.strictObject({ model: common.model }).partial();
  const extraKeys: readonly ExtraConfigKey[] = info.extraConfigKeys;
  return z.strictObject({ ...common, ...Object.fromEntries(extraKeys.map((key) => [key, extra[key]])) }).partial();
}

const schemas = Object.fromEntries(PROVIDER_KINDS.map((kind) => [kind, schemaOf(kind)])) as Record<ProviderKind, z.ZodType<ProviderConfig>>;

export interface ProviderConfig {
  model?: string;
  maxTokens?: number;
  temperature?: number;
  timeoutMs?: number;
  baseUrl?: string;
  host?: string;
  tokenUrl?: string;
  prices?: ConfiguredPrices;
  cacheTtlSeconds?: number;
  group?: string;
  weight?: number;
}

/**
 * Validates a configuration's `config` for its driver; the first problem becomes BAD_USER_INPUT. Endpoint
 * URLs must pass the outbound policy (absent: this process's, which the runtime sets from the config).
 */
export function parseProviderConfig(kind: ProviderKind, value: unknown, policy: OutboundPolicy = outboundPolicy()): ProviderConfig {
  const parsed = schemas[kind].safeParse(value ?? {});
  if (parsed.success) {
    for (const key of ['baseUrl', 'host', 'tokenUrl'] as const) {
      const url = parsed.data[key];
      if (url !== undefined) checkOutboundUrl(url, policy, `config.${key}`);
    }
    return parsed.data;
  }
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw badInput(`config has unknown key(s) for ${kind}: ${issue.keys.join(', ')}.`, { field: 'config' });
  }
  const where = issue.path.length ? `config.${issue.path.join('.')}` : 'config';
  throw badInput(`${where}: ${issue.message}.`, { field: where });
}

/** Where the driver's SDK should point: Ollama's `host` and everyone's `baseUrl` mean the same. */
export function endpointOf(config: ProviderConfig): string | undefined {
  return config.baseUrl ?? config.host;
}
