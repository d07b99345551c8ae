import type { GenerateContentConfig, GenerateContentParameters } from '@google/genai';
import { systemText } from '../driver-support.ts';
import type { GenerateRequest } from '../types.ts';

export function toGenerateContentParameters(request: GenerateRequest, abortSignal: AbortSignal): GenerateContentParameters {
  // The system prompt is Gemini's `systemInstruction`, not a turn in `contents`.
  const config: GenerateContentConfig = { abortSignal };
  const system = systemText(request);
  if (system) config.systemInstruction = system;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  return {
    model: request.model,
    contents: request.messages.flatMap((message) =>
      message.role === 'user' || message.role === 'assistant'
        ? [{ role: message.role === 'user' ? 'user' : 'model', parts: [{ text: message.content }] }]
        : [],
    ),
    config,
  };
}
