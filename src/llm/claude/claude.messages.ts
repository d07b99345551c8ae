// The conversation as Messages API turns: system text is lifted out by the caller, tool results
// travel in user turns, and consecutive turns of one role become one turn.
import type { ContentBlockParam, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage } from '../types.ts';
import { toToolInput } from './claude.tools.ts';

interface Turn {
  role: 'user' | 'assistant';
  blocks: ContentBlockParam[];
}

function toTurn(message: Exclude<ChatMessage, { role: 'system' }>): Turn {
  switch (message.role) {
    case 'user':
      return { role: 'user', blocks: [{ type: 'text', text: message.content }] };
    case 'tool':
      return { role: 'user', blocks: [{ type: 'tool_result', tool_use_id: message.toolCallId, content: message.content }] };
    case 'assistant': {
      const calls = message.toolCalls ?? [];
      // The API refuses empty text blocks, and a turn that only calls tools has no text.
      const text: ContentBlockParam[] = message.content === '' && calls.length > 0 ? [] : [{ type: 'text', text: message.content }];
      const uses: ContentBlockParam[] = calls.map((call) => ({
        type: 'tool_use',
        id: call.id,
        name: call.name,
        input: toToolInput(call.arguments, call.name),
      }));
      return { role: 'assistant', blocks: [...text, ...uses] };
    }
  }
}

/** The API wants tool results first in their user turn, before any text that follows them. */
function resultsFirst(blocks: ContentBlockParam[]): ContentBlockParam[] {
  return [...blocks.filter((block) => block.type === 'tool_result'), ...blocks.filter((block) => block.type !== 'tool_result')];
}

/** A turn of one plain text stays a string, the shape text-only conversations have always had. */
function toMessageParam(turn: Turn): MessageParam {
  const [only] = turn.blocks;
  if (turn.blocks.length === 1 && only?.type === 'text') return { role: turn.role, content: only.text };
  return { role: turn.role, content: turn.role === 'user' ? resultsFirst(turn.blocks) : turn.blocks };
}

export function toClaudeMessages(messages: readonly ChatMessage[]): MessageParam[] {
  const turns: Turn[] = [];
  for (const message of messages) {
    if (message.role === 'system') continue;
    const turn = toTurn(message);
    const previous = turns.at(-1);
    // Roles must alternate: several tool results, and a user's words after them, share one user turn.
    if (previous?.role === turn.role) previous.blocks.push(...turn.blocks);
    else turns.push(turn);
  }
  return turns.map(toMessageParam);
}
