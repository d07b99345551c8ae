import type { CompletionUsage } from 'openai/resources/completions';
import type { TokenUsage } from '../types.ts';

/** Compatible servers sometimes send `usage: null` or leave fields out; those stay unknown. */
export function toTokenUsage(usage: CompletionUsage | null | undefined): TokenUsage {
  return {
    inputTokens: typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : null,
    outputTokens: typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : null,
  };
}
