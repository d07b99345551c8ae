import type { TokenUsage } from '../types.ts';

/**
 * Ollama leaves prompt_eval_count out when the whole prompt came from its cache, and older
 * servers omit the counts altogether: missing stays unknown, whatever the SDK's types claim.
 */
export function toTokenUsage(response: { prompt_eval_count?: unknown; eval_count?: unknown }): TokenUsage {
  return {
    inputTokens: typeof response.prompt_eval_count === 'number' ? response.prompt_eval_count : null,
    outputTokens: typeof response.eval_count === 'number' ? response.eval_count : null,
  };
}
