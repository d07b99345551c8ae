import type { GenerateContentResponseUsageMetadata } from '@google/genai';
import type { TokenUsage } from '../types.ts';

/** Thinking models bill their thoughts as output, so those tokens count as output here. */
export function toTokenUsage(usage: GenerateContentResponseUsageMetadata | undefined): TokenUsage {
  const candidates = usage?.candidatesTokenCount;
  return {
    inputTokens: typeof usage?.promptTokenCount === 'number' ? usage.promptTokenCount : null,
    outputTokens: typeof candidates === 'number' ? candidates + (usage?.thoughtsTokenCount ?? 0) : null,
  };
}
