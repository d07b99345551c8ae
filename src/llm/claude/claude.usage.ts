import type { TokenUsage } from '../types.ts';

/** The token fields Anthropic reports, each of which a proxy or an early event may leave out. */
export interface ClaudeUsageFields {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/**
 * Anthropic counts cached prompt tokens apart from `input_tokens`; they are still input the
 * model read, so they are added in. Missing cache fields mean no caching, not unknown input.
 */
export function toTokenUsage(usage: ClaudeUsageFields | null | undefined): TokenUsage {
  const input = usage?.input_tokens;
  const output = usage?.output_tokens;
  return {
    inputTokens:
      typeof input === 'number' ? input + (usage?.cache_creation_input_tokens ?? 0) + (usage?.cache_read_input_tokens ?? 0) : null,
    outputTokens: typeof output === 'number' ? output : null,
  };
}
