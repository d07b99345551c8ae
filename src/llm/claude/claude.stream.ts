import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { StreamPart, ToolCall } from '../types.ts';
import { toFinishReason } from './claude.finish-reason.ts';
import { answerFinishReason } from './claude.response.ts';
import { JSON_ANSWER_TOOL_NAME, toArgumentsText } from './claude.tools.ts';
import { type ClaudeUsageFields, toTokenUsage } from './claude.usage.ts';

/** A tool_use block as it streams: its input arrives as JSON text in pieces, by block index. */
interface ToolBlock {
  call: ToolCall;
  /** The call's position among the answer's tool calls: the neutral stream's index. */
  ordinal: number;
  /** The input the block started with, the whole input when no piece follows (a tool without parameters). */
  startInput: unknown;
  jsonAnswer: boolean;
}

/**
 * Named SSE events -> parts. Input tokens come with message_start; message_delta carries the
 * cumulative output count (and, on newer API versions, input counts too), so it wins. Tool inputs
 * are assembled from their input_json_delta pieces and delivered in the finish part as the raw text
 * that came (an answer cut short may not be JSON); a JSON answer's pieces stream as text instead.
 */
export async function* toStreamParts(
  events: AsyncIterable<RawMessageStreamEvent>,
  model: string,
  jsonAnswer: boolean,
): AsyncGenerator<StreamPart> {
  let usage: ClaudeUsageFields = {};
  let stopReason: string | null = null;
  const toolBlocks = new Map<number, ToolBlock>();
  let toolCallCount = 0;
  for await (const event of events) {
    switch (event.type) {
      case 'message_start':
        usage = { ...event.message.usage };
        break;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type !== 'tool_use') break;
        const isJsonAnswer = jsonAnswer && block.name === JSON_ANSWER_TOOL_NAME;
        const call = { id: block.id, name: block.name, arguments: '' };
        const toolBlock = { call, ordinal: toolCallCount, startInput: block.input, jsonAnswer: isJsonAnswer };
        toolBlocks.set(event.index, toolBlock);
        if (isJsonAnswer) break;
        toolCallCount += 1;
        yield { type: 'tool-call-delta', index: toolBlock.ordinal, id: block.id, name: block.name, argumentsDelta: '' };
        break;
      }
      case 'content_block_delta': {
        const { delta } = event;
        // A JSON answer is the tool input alone, as when not streaming.
        if (delta.type === 'text_delta' && delta.text && !jsonAnswer) yield { type: 'text-delta', text: delta.text };
        const toolBlock = toolBlocks.get(event.index);
        if (delta.type !== 'input_json_delta' || !toolBlock || !delta.partial_json) break;
        toolBlock.call.arguments += delta.partial_json;
        yield toolBlock.jsonAnswer
          ? { type: 'text-delta', text: delta.partial_json }
          : { type: 'tool-call-delta', index: toolBlock.ordinal, argumentsDelta: delta.partial_json };
        break;
      }
      case 'content_block_stop': {
        const toolBlock = toolBlocks.get(event.index);
        if (toolBlock?.jsonAnswer && toolBlock.call.arguments === '') yield { type: 'text-delta', text: toArgumentsText(toolBlock.startInput) };
        break;
      }
      case 'message_delta':
        stopReason = event.delta.stop_reason ?? stopReason;
        usage = { ...usage, ...definedFields(event.usage) };
        break;
      case 'message_stop':
        yield {
          type: 'finish',
          model,
          usage: toTokenUsage(usage),
          finishReason: answerFinishReason(toFinishReason(stopReason), jsonAnswer),
          toolCalls: [...toolBlocks.values()].flatMap((block) =>
            block.jsonAnswer ? [] : [{ ...block.call, arguments: block.call.arguments || toArgumentsText(block.startInput) }],
          ),
        };
        return;
      default:
        break;
    }
  }
}

function definedFields(usage: ClaudeUsageFields | null | undefined): ClaudeUsageFields {
  return Object.fromEntries(Object.entries(usage ?? {}).filter(([, value]) => typeof value === 'number'));
}
