import { z } from 'zod';
import type { ProviderKind } from '../../llm/types.ts';
import { badInput } from '../../errors.ts';

// `config` keys every driver understands; Ollama adds `host`, Copilot `tokenUrl`. Unknown keys are refused.
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(500);

const common = {
  model: z.string().trim().min(1).max(200),
  maxTokens: z.number().int().min(1).max(1_000_000),
  temperature: z.number().min(0).max(2),
  timeoutMs: z.number().int().min(100).max(600_000),
  baseUrl: httpUrl,
};

const schemas: Record<ProviderKind, z.ZodType<ProviderConfig>> = {
  LOCAL: z.strictObject({ model: common.model }).partial(),
  OPENAI: z.strictObject(common).partial(),
  CLAUDE: z.strictObject(common).partial(),
  GEMINI: z.strictObject(common).partial(),
  MISTRAL: z.strictObject(common).partial(),
  GROK: z.strictObject(common).partial(),
  COPILOT: z.strictObject({ ...common, tokenUrl: httpUrl }).partial(),
  OLLAMA: z.strictObject({ ...common, host: httpUrl }).partial(),
};

export interface ProviderConfig {
  model?: string;
  maxTokens?: number;
  temperature?: number;
  timeoutMs?: number;
  baseUrl?: string;
  host?: string;
  tokenUrl?: string;
}

/** Validates a configuration's `config` for its driver; the first problem becomes BAD_USER_INPUT. */
export function parseProviderConfig(kind: ProviderKind, value: unknown): ProviderConfig {
  const parsed = schemas[kind].safeParse(value ?? {});
  if (parsed.success) return parsed.data;
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
