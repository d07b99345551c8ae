import type { UsageInfo } from '@mistralai/mistralai/models/components';
import { z } from 'zod';
import { parseJsonText } from '../json-text.ts';
import type { TokenUsage } from '../types.ts';

// The SDK's schema defaults missing token counts to 0, which would turn "not reported" into
// "free". The raw body says which counts the API really sent.
const rawUsageSchema = z.object({
  usage: z
    .object({ prompt_tokens: z.number().int().optional(), completion_tokens: z.number().int().optional() })
    .nullish(),
});

export function usageFromRawBody(rawBody: string | null): TokenUsage {
  const usage = rawBody === null ? null : parseJsonText(rawUsageSchema, rawBody)?.usage;
  return { inputTokens: usage?.prompt_tokens ?? null, outputTokens: usage?.completion_tokens ?? null };
}

/** Stream chunks carry usage only on the last chunk; its presence means Mistral reported it. */
export function usageFromChunk(usage: UsageInfo | undefined): TokenUsage | null {
  if (!usage) return null;
  return { inputTokens: usage.promptTokens ?? null, outputTokens: usage.completionTokens ?? null };
}
