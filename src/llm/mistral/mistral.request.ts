import { createHash } from 'node:crypto';
import type { ChatCompletionRequest, ChatCompletionRequestMessage } from '@mistralai/mistralai/models/components';
import type { ChatMessage, GenerateRequest } from '../types.ts';
import { toToolParams } from './mistral.tools.ts';

const MISTRAL_TOOL_CALL_ID = /^[a-zA-Z0-9]{9}$/;

/**
 * Mistral refuses (400) any tool call id but nine letters and digits, and a conversation may hold
 * ids another provider made (OpenAI's call_…, or ours). Those are replaced by a digest of
 * themselves: the same for a call and for its result, so the two still pair up.
 */
export function toMistralToolCallId(id: string): string {
  return MISTRAL_TOOL_CALL_ID.test(id) ? id : createHash('sha256').update(id).digest('hex').slice(0, 9);
}

function toMessage(message: ChatMessage): ChatCompletionRequestMessage {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      if (!message.toolCalls?.length) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        content: message.content,
        // The arguments go back as the text the model wrote (Mistral takes a string or an object).
        toolCalls: message.toolCalls.map((call, index) => ({ id: toMistralToolCallId(call.id), type: 'function', function: { name: call.name, arguments: call.arguments }, index })),
      };
    case 'tool':
      return { role: 'tool', toolCallId: toMistralToolCallId(message.toolCallId), name: message.name, content: message.content };
  }
}

/** The SDK's camelCase request; it serializes to the API's snake_case (max_tokens) itself. */
export function toChatRequest(request: GenerateRequest): ChatCompletionRequest {
  const params: ChatCompletionRequest = {
    model: request.model,
    messages: request.messages.map(toMessage),
    ...toToolParams(request),
  };
  if (request.maxTokens !== undefined) params.maxTokens = request.maxTokens;
  if (request.temperature !== undefined) params.temperature = request.temperature;
  return params;
}
