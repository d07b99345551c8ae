import type { ChatRequest, Options } from 'ollama';
import { chatMessages } from '../driver-support.ts';
import type { GenerateRequest } from '../types.ts';

export function toChatRequest(request: GenerateRequest): ChatRequest {
  // Ollama takes sampling settings in `options`; num_predict is its max-tokens.
  const options: Partial<Options> = {};
  if (request.maxTokens !== undefined) options.num_predict = request.maxTokens;
  if (request.temperature !== undefined) options.temperature = request.temperature;
  return { model: request.model, messages: chatMessages(request), options };
}
