import type { ChatResponse } from 'ollama';
import type { StreamPart } from '../types.ts';
import { toFinishReason } from './ollama.finish-reason.ts';
import { toTokenUsage } from './ollama.usage.ts';

/** NDJSON lines -> parts. Only the closing line (`done: true`) carries the counts. */
export async function* toStreamParts(lines: AsyncIterable<ChatResponse>, model: string): AsyncGenerator<StreamPart> {
  for await (const line of lines) {
    if (line.message?.content) yield { type: 'text-delta', text: line.message.content };
    if (line.done) {
      yield { type: 'finish', model, usage: toTokenUsage(line), finishReason: toFinishReason(line.done_reason), toolCalls: [] };
      return;
    }
  }
}
