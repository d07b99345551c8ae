import type { GenerateContentResponseUsageMetadata } from '@google/genai';
import type { TokenUsage } from '../types.ts';

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Thinking models bill their thoughts as output, so those tokens count as output here (and are
 * reported as its reasoning part). `promptTokenCount` includes the cached content, reported as its
 * cached part. Parts are set only when Gemini reported them.
 */
export function toTokenUsage(usage: GenerateContentResponseUsageMetadata | undefined): TokenUsage {
  const candidates = usage?.candidatesTokenCount;
  const cached = count(usage?.cachedContentTokenCount);
  const thoughts = count(usage?.thoughtsTokenCount);
  return {
    inputTokens: typeof usage?.promptTokenCount === 'number' ? usage.promptTokenCount : null,
    outputTokens: typeof candidates === 'number' ? candidates + (thoughts ?? 0) : null,
    ...(cached !== undefined && { cachedInputTokens: cached }),
    ...(thoughts !== undefined && { reasoningTokens: thoughts }),
  };
}
