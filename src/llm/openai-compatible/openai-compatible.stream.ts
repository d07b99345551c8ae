import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { StreamPart, TokenUsage } from '../types.ts';
import { toFinishReason } from './openai-compatible.finish-reason.ts';
import { ToolCallAssembler } from './openai-compatible.tool-calls.ts';
import { toTokenUsage, type UsageQuirks } from './openai-compatible.usage.ts';

/**
 * Chunks -> parts. The finish part waits for the end of the stream: with include_usage the
 * usage arrives in one more chunk (with no choices) after the chunk that carries finish_reason,
 * and the tool calls are only whole once every fragment is in.
 */
export async function* toStreamParts(
  chunks: AsyncIterable<ChatCompletionChunk>,
  model: string,
  usageQuirks: UsageQuirks = {},
): AsyncGenerator<StreamPart> {
  let finishReason: string | null = null;
  let usage: TokenUsage = { inputTokens: null, outputTokens: null };
  const toolCalls = new ToolCallAssembler();
  for await (const chunk of chunks) {
    if (chunk.usage) usage = toTokenUsage(chunk.usage, usageQuirks);
    // Every choice, not only the first: see toolCallsOfChoices.
    for (const choice of chunk.choices) {
      if (choice.delta.content) yield { type: 'text-delta', text: choice.delta.content };
      for (const fragment of choice.delta.tool_calls ?? []) {
        const part = toolCalls.add(choice.index, fragment);
        if (part) yield part;
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
  }
  // Without a finish reason the stream was cut short; the guard reports that as an error.
  if (finishReason === null) return;
  const calls = toolCalls.finish();
  yield { type: 'finish', model, usage, finishReason: toFinishReason(finishReason, calls.length > 0), toolCalls: calls };
}
