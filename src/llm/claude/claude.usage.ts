import type { TokenUsage } from '../types.ts';

/** The token fields Anthropic reports, each of which a proxy or an early event may leave out. */
export interface ClaudeUsageFields {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Anthropic counts cached prompt tokens apart from `input_tokens`; they are still input the
 * model read, so they are added in (and reported as parts of it). Missing cache fields mean no
 * caching, not unknown input; the parts are set only when Anthropic reported them.
 */
export function toTokenUsage(usage: ClaudeUsageFields | null | undefined): TokenUsage {
  const input = usage?.input_tokens;
  const output = usage?.output_tokens;
  const cacheRead = count(usage?.cache_read_input_tokens);
  const cacheWrite = count(usage?.cache_creation_input_tokens);
  const known = typeof input === 'number';
  return {
    inputTokens: known ? input + (cacheWrite ?? 0) + (cacheRead ?? 0) : null,
    outputTokens: typeof output === 'number' ? output : null,
    // Parts of an unknown total would be meaningless (and the cost refuses parts above the total).
    ...(known && cacheRead !== undefined && { cachedInputTokens: cacheRead }),
    ...(known && cacheWrite !== undefined && { cacheWriteInputTokens: cacheWrite }),
  };
}
