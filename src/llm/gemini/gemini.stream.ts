import type { GenerateContentResponse } from '@google/genai';
import type { StreamPart, TokenUsage, ToolCall } from '../types.ts';
import { toFinishReason } from './gemini.finish-reason.ts';
import { promptBlocked, responseFinishReason, responseText, responseToolCalls } from './gemini.response.ts';
import { toTokenUsage } from './gemini.usage.ts';

/**
 * Each chunk repeats usageMetadata with running totals; the last one seen is the call's. Function
 * calls come whole, each in some chunk: they are collected and delivered in the finish part.
 */
export async function* toStreamParts(chunks: AsyncIterable<GenerateContentResponse>, model: string): AsyncGenerator<StreamPart> {
  let usage: TokenUsage = { inputTokens: null, outputTokens: null };
  let finishReason: string | undefined;
  let blocked = false;
  const toolCalls: ToolCall[] = [];
  for await (const chunk of chunks) {
    const text = responseText(chunk);
    if (text) yield { type: 'text-delta', text };
    for (const call of responseToolCalls(chunk)) {
      yield { type: 'tool-call-delta', index: toolCalls.length, id: call.id, name: call.name, argumentsDelta: call.arguments };
      toolCalls.push(call);
    }
    if (chunk.usageMetadata) usage = toTokenUsage(chunk.usageMetadata);
    finishReason = responseFinishReason(chunk) ?? finishReason;
    blocked ||= promptBlocked(chunk);
  }
  if (finishReason !== undefined || blocked) {
    yield { type: 'finish', model, usage, finishReason: toFinishReason(finishReason, blocked, toolCalls.length > 0), toolCalls };
  }
}
