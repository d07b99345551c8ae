import type { ContentBlock } from '@anthropic-ai/sdk/resources/messages';
import type { FinishReason, ToolCall } from '../types.ts';
import { JSON_ANSWER_TOOL_NAME, toArgumentsText } from './claude.tools.ts';

export interface ClaudeAnswer {
  text: string;
  toolCalls: ToolCall[];
}

/**
 * Text and tool_use blocks -> the neutral answer. When a JSON format was asked, the answer is the
 * JSON answer tool's input, and any text around it is left out so the answer stays JSON.
 */
export function toAnswer(content: readonly ContentBlock[], jsonAnswer: boolean): ClaudeAnswer {
  const toolUses = content.flatMap((block) => (block.type === 'tool_use' ? [block] : []));
  if (jsonAnswer) {
    const answers = toolUses.filter((block) => block.name === JSON_ANSWER_TOOL_NAME);
    return { text: answers.map((block) => toArgumentsText(block.input)).join(''), toolCalls: [] };
  }
  return {
    text: content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join(''),
    toolCalls: toolUses.map((block) => ({ id: block.id, name: block.name, arguments: toArgumentsText(block.input) })),
  };
}

/** The forced JSON answer tool makes Claude stop for "tool_use"; for the caller that is a finished answer. */
export function answerFinishReason(reason: FinishReason, jsonAnswer: boolean): FinishReason {
  return jsonAnswer && reason === 'tool-calls' ? 'stop' : reason;
}
