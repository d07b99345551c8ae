import type { UsageInfo } from '@mistralai/mistralai/models/components';
import { z } from 'zod';
import { parseJsonText } from '../json-text.ts';
import type { TokenUsage } from '../types.ts';

const countSchema = z.number().int().nonnegative();

// The SDK's schema defaults missing token counts to 0, which would turn "not reported" into
// "free". The raw body says which counts the API really sent.
const rawUsageSchema = z.object({
  usage: z
    .object({
      prompt_tokens: z.number().int().optional(),
      completion_tokens: z.number().int().optional(),
      // Read by cachedTokensOf; a malformed one is ignored there.
      prompt_tokens_details: z.unknown().optional(),
    })
    .nullish(),
});

// The SDK keeps fields it does not know under their wire names; a camelCase spelling is taken too.
const cachedSchema = z
  .object({
    prompt_tokens_details: z.object({ cached_tokens: z.unknown() }).partial().nullish().catch(undefined),
    promptTokensDetails: z.object({ cachedTokens: z.unknown() }).partial().nullish().catch(undefined),
  })
  .catch({});

/** Prompt tokens Mistral read from its cache, when it reported them. */
function cachedTokensOf(usage: unknown): number | undefined {
  const parsed = cachedSchema.parse(usage ?? {});
  const value = parsed.prompt_tokens_details?.cached_tokens ?? parsed.promptTokensDetails?.cachedTokens;
  const cached = countSchema.safeParse(value);
  return cached.success ? cached.data : undefined;
}

export function usageFromRawBody(rawBody: string | null): TokenUsage {
  const usage = rawBody === null ? null : parseJsonText(rawUsageSchema, rawBody)?.usage;
  const cached = cachedTokensOf(usage);
  return {
    inputTokens: usage?.prompt_tokens ?? null,
    outputTokens: usage?.completion_tokens ?? null,
    ...(cached !== undefined && { cachedInputTokens: cached }),
  };
}

/** Stream chunks carry usage only on the last chunk; its presence means Mistral reported it. */
export function usageFromChunk(usage: UsageInfo | undefined): TokenUsage | null {
  if (!usage) return null;
  const cached = cachedTokensOf(usage);
  return {
    inputTokens: usage.promptTokens ?? null,
    outputTokens: usage.completionTokens ?? null,
    ...(cached !== undefined && { cachedInputTokens: cached }),
  };
}
