import type { ChatRequest, Options } from 'ollama';
import type { GenerateRequest } from '../types.ts';

export function toChatRequest(request: GenerateRequest): ChatRequest {
  // Ollama takes sampling settings in `options`; num_predict is its max-tokens.
  const options: Partial<Options> = {};
  if (request.maxTokens !== undefined) options.num_predict = request.maxTokens;
  if (request.temperature !== undefined) options.temperature = request.temperature;
  return { model: request.model, messages: request.messages.flatMap((message) => (message.role === 'tool' ? [] : [{ role: message.role, content: message.content }])), options };
}
