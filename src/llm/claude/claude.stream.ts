import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { StreamPart } from '../types.ts';
import { toFinishReason } from './claude.finish-reason.ts';
import { type ClaudeUsageFields, toTokenUsage } from './claude.usage.ts';

/**
 * Named SSE events -> parts. Input tokens come with message_start; message_delta carries the
 * cumulative output count (and, on newer API versions, input counts too), so it wins.
 */
export async function* toStreamParts(events: AsyncIterable<RawMessageStreamEvent>, model: string): AsyncGenerator<StreamPart> {
  let usage: ClaudeUsageFields = {};
  let stopReason: string | null = null;
  for await (const event of events) {
    switch (event.type) {
      case 'message_start':
        usage = { ...event.message.usage };
        break;
      case 'content_block_delta':
        if (event.delta.type === 'text_delta' && event.delta.text) yield { type: 'text-delta', text: event.delta.text };
        break;
      case 'message_delta':
        stopReason = event.delta.stop_reason ?? stopReason;
        usage = { ...usage, ...definedFields(event.usage) };
        break;
      case 'message_stop':
        yield { type: 'finish', model, usage: toTokenUsage(usage), finishReason: toFinishReason(stopReason), toolCalls: [] };
        return;
      default:
        break;
    }
  }
}

function definedFields(usage: ClaudeUsageFields | null | undefined): ClaudeUsageFields {
  return Object.fromEntries(Object.entries(usage ?? {}).filter(([, value]) => typeof value === 'number'));
}
