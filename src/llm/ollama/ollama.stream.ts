import type { ChatResponse } from 'ollama';
import type { StreamPart, ToolCall } from '../types.ts';
import { toFinishReason } from './ollama.finish-reason.ts';
import { toToolCalls } from './ollama.tool-calls.ts';
import { toTokenUsage } from './ollama.usage.ts';

/**
 * NDJSON lines -> parts. Only the closing line (`done: true`) carries the counts; tool calls come
 * whole, on a line of their own before it.
 */
export async function* toStreamParts(lines: AsyncIterable<ChatResponse>, model: string): AsyncGenerator<StreamPart> {
  const toolCalls: ToolCall[] = [];
  for await (const line of lines) {
    if (line.message?.content) yield { type: 'text-delta', text: line.message.content };
    for (const call of toToolCalls(line.message?.tool_calls)) {
      yield { type: 'tool-call-delta', index: toolCalls.length, id: call.id, name: call.name, argumentsDelta: call.arguments };
      toolCalls.push(call);
    }
    if (line.done) {
      const finishReason = toFinishReason(line.done_reason, toolCalls.length > 0);
      yield { type: 'finish', model, usage: toTokenUsage(line), finishReason, toolCalls };
      return;
    }
  }
}
