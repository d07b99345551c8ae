import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { StreamPart, TokenUsage } from '../types.ts';
import { toFinishReason } from './openai-compatible.finish-reason.ts';
import { toTokenUsage } from './openai-compatible.usage.ts';

/**
 * Chunks -> parts. The finish part waits for the end of the stream: with include_usage the
 * usage arrives in one more chunk (with no choices) after the chunk that carries finish_reason.
 */
export async function* toStreamParts(chunks: AsyncIterable<ChatCompletionChunk>, model: string): AsyncGenerator<StreamPart> {
  let finishReason: string | null = null;
  let usage: TokenUsage = { inputTokens: null, outputTokens: null };
  for await (const chunk of chunks) {
    if (chunk.usage) usage = toTokenUsage(chunk.usage);
    const choice = chunk.choices[0];
    if (choice?.delta.content) yield { type: 'text-delta', text: choice.delta.content };
    if (choice?.finish_reason) finishReason = choice.finish_reason;
  }
  // Without a finish reason the stream was cut short; the guard reports that as an error.
  if (finishReason !== null) yield { type: 'finish', model, usage, finishReason: toFinishReason(finishReason), toolCalls: [] };
}
