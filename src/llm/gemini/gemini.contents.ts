// The conversation as Gemini contents: roles user and model, system text lifted out by the caller,
// function responses in user turns, and consecutive turns of one role as one turn.
import type { Content, Part } from '@google/genai';
import type { ChatMessage } from '../types.ts';
import { toFunctionCallPart, toFunctionResponsePart } from './gemini.tools.ts';

interface Turn {
  role: 'user' | 'model';
  parts: Part[];
}

function toTurn(message: Exclude<ChatMessage, { role: 'system' }>): Turn {
  switch (message.role) {
    case 'user':
      return { role: 'user', parts: [{ text: message.content }] };
    case 'tool':
      return { role: 'user', parts: [toFunctionResponsePart(message.toolCallId, message.name, message.content)] };
    case 'assistant': {
      const calls = message.toolCalls ?? [];
      // A turn that only calls functions has no text to send.
      const text: Part[] = message.content === '' && calls.length > 0 ? [] : [{ text: message.content }];
      return { role: 'model', parts: [...text, ...calls.map(toFunctionCallPart)] };
    }
  }
}

export function toGeminiContents(messages: readonly ChatMessage[]): Content[] {
  const turns: Turn[] = [];
  for (const message of messages) {
    if (message.role === 'system') continue;
    const turn = toTurn(message);
    const previous = turns.at(-1);
    // Every function response of a model turn goes back in one user turn, with any text after them.
    if (previous?.role === turn.role) previous.parts.push(...turn.parts);
    else turns.push(turn);
  }
  return turns;
}
