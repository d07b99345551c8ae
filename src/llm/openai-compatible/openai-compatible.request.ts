import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { GenerateRequest } from '../types.ts';

export interface RequestQuirks {
  /** OpenAI deprecated `max_tokens` for `max_completion_tokens`; other compatible APIs lag behind. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Reasoning models refuse any temperature but the default. */
  acceptsTemperature: (model: string) => boolean;
}

export function toChatCompletionParams(request: GenerateRequest, quirks: RequestQuirks): ChatCompletionCreateParamsNonStreaming {
  const params: ChatCompletionCreateParamsNonStreaming = {
    model: request.model,
    messages: request.messages.flatMap((message) => (message.role === 'tool' ? [] : [{ role: message.role, content: message.content }])),
  };
  if (request.maxTokens !== undefined) params[quirks.maxTokensField] = request.maxTokens;
  if (request.temperature !== undefined && quirks.acceptsTemperature(request.model)) {
    params.temperature = request.temperature;
  }
  return params;
}
