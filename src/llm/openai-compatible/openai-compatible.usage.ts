import type { CompletionUsage } from 'openai/resources/completions';
import type { TokenUsage } from '../types.ts';

export interface UsageQuirks {
  /**
   * xAI leaves reasoning tokens out of `completion_tokens` (OpenAI counts them in): set, they are
   * added to the output so that `reasoningTokens` stays a part of `outputTokens`.
   */
  reasoningOutsideCompletion?: boolean;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Compatible servers sometimes send `usage: null` or leave fields out; those stay unknown. The
 * cached and reasoning parts are set only when the server reported them.
 */
export function toTokenUsage(usage: CompletionUsage | null | undefined, quirks: UsageQuirks = {}): TokenUsage {
  const cached = count(usage?.prompt_tokens_details?.cached_tokens);
  const reasoning = count(usage?.completion_tokens_details?.reasoning_tokens);
  const completion = typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : null;
  return {
    inputTokens: typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : null,
    outputTokens: completion !== null && quirks.reasoningOutsideCompletion ? completion + (reasoning ?? 0) : completion,
    ...(cached !== undefined && { cachedInputTokens: cached }),
    ...(reasoning !== undefined && { reasoningTokens: reasoning }),
  };
}
