import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { ChatMessage, GenerateRequest, ToolCall } from '../types.ts';
import { toToolParams } from './openai-compatible.tools.ts';

export interface RequestQuirks {
  /** OpenAI deprecated `max_tokens` for `max_completion_tokens`; other compatible APIs lag behind. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Reasoning models refuse any temperature but the default. */
  acceptsTemperature: (model: string) => boolean;
}

function toToolCallParam(call: ToolCall): ChatCompletionMessageFunctionToolCall {
  // The arguments go back exactly as the model wrote them, even when they are not valid JSON.
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

function toMessageParam(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      if (!message.toolCalls?.length) return { role: 'assistant', content: message.content };
      // A turn that only called tools has no text: the API wants null there, not "".
      return { role: 'assistant', content: message.content || null, tool_calls: message.toolCalls.map(toToolCallParam) };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

export function toChatCompletionParams(request: GenerateRequest, quirks: RequestQuirks): ChatCompletionCreateParamsNonStreaming {
  const params: ChatCompletionCreateParamsNonStreaming = {
    model: request.model,
    messages: request.messages.map(toMessageParam),
    ...toToolParams(request),
  };
  if (request.maxTokens !== undefined) params[quirks.maxTokensField] = request.maxTokens;
  if (request.temperature !== undefined && quirks.acceptsTemperature(request.model)) {
    params.temperature = request.temperature;
  }
  return params;
}
