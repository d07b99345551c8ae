import type { CompletionEvent } from '@mistralai/mistralai/models/components';
import type { StreamPart, TokenUsage } from '../types.ts';
import { toFinishReason } from './mistral.finish-reason.ts';
import { contentText } from './mistral.response.ts';
import { ToolCallAssembler } from './mistral.tool-calls.ts';
import { usageFromChunk } from './mistral.usage.ts';

export async function* toStreamParts(events: AsyncIterable<CompletionEvent>, model: string): AsyncGenerator<StreamPart> {
  let usage: TokenUsage = { inputTokens: null, outputTokens: null };
  let finishReason: string | null = null;
  const toolCalls = new ToolCallAssembler();
  for await (const event of events) {
    const chunk = event.data;
    usage = usageFromChunk(chunk.usage) ?? usage;
    const choice = chunk.choices[0];
    const text = contentText(choice?.delta.content);
    if (text) yield { type: 'text-delta', text };
    for (const fragment of choice?.delta.toolCalls ?? []) yield toolCalls.add(fragment);
    if (choice?.finishReason) finishReason = choice.finishReason;
  }
  if (finishReason === null) return;
  const calls = toolCalls.finish();
  yield { type: 'finish', model, usage, finishReason: toFinishReason(finishReason, calls.length > 0), toolCalls: calls };
}
