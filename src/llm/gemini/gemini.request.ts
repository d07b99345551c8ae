import type { GenerateContentConfig, GenerateContentParameters } from '@google/genai';
import type { GenerateRequest } from '../types.ts';

export function toGenerateContentParameters(request: GenerateRequest, abortSignal: AbortSignal): GenerateContentParameters {
  // The system prompt is Gemini's `systemInstruction`, not a turn in `contents`.
  const config: GenerateContentConfig = { abortSignal };
  if (request.system) config.systemInstruction = request.system;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  return {
    model: request.model,
    contents: [{ role: 'user', parts: [{ text: request.prompt }] }],
    config,
  };
}
