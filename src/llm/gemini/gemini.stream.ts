import type { GenerateContentResponse } from '@google/genai';
import type { StreamPart, TokenUsage } from '../types.ts';
import { toFinishReason } from './gemini.finish-reason.ts';
import { promptBlocked, responseFinishReason, responseText } from './gemini.response.ts';
import { toTokenUsage } from './gemini.usage.ts';

/** Each chunk repeats usageMetadata with running totals; the last one seen is the call's. */
export async function* toStreamParts(chunks: AsyncIterable<GenerateContentResponse>, model: string): AsyncGenerator<StreamPart> {
  let usage: TokenUsage = { inputTokens: null, outputTokens: null };
  let finishReason: string | undefined;
  let blocked = false;
  for await (const chunk of chunks) {
    const text = responseText(chunk);
    if (text) yield { type: 'text-delta', text };
    if (chunk.usageMetadata) usage = toTokenUsage(chunk.usageMetadata);
    finishReason = responseFinishReason(chunk) ?? finishReason;
    blocked ||= promptBlocked(chunk);
  }
  if (finishReason !== undefined || blocked) {
    yield { type: 'finish', model, usage, finishReason: toFinishReason(finishReason, blocked), toolCalls: [] };
  }
}
