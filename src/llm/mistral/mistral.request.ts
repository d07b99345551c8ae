import type { ChatCompletionRequest } from '@mistralai/mistralai/models/components';
import type { GenerateRequest } from '../types.ts';

/** The SDK's camelCase request; it serializes to the API's snake_case (max_tokens) itself. */
export function toChatRequest(request: GenerateRequest): ChatCompletionRequest {
  const params: ChatCompletionRequest = {
    model: request.model,
    messages: request.messages.flatMap((message) => (message.role === 'tool' ? [] : [{ role: message.role, content: message.content }])),
  };
  if (request.maxTokens !== undefined) params.maxTokens = request.maxTokens;
  if (request.temperature !== undefined) params.temperature = request.temperature;
  return params;
}
