import type { GenerateContentConfig, GenerateContentParameters } from '@google/genai';
import { systemText } from '../driver-support.ts';
import type { GenerateRequest } from '../types.ts';
import { toGeminiContents } from './gemini.contents.ts';
import { refusedRequest, toGeminiTools, toToolConfig } from './gemini.tools.ts';

/**
 * Throws a BAD_REQUEST ProviderCallError, before any request, for what Gemini cannot be asked. The
 * abort signal is the caller's to add to `config`, the only place the SDK takes one.
 */
export function toGenerateContentParameters(request: GenerateRequest): GenerateContentParameters & { config: GenerateContentConfig } {
  // The system prompt is Gemini's `systemInstruction`, not a turn in `contents`.
  const config: GenerateContentConfig = {};
  const system = systemText(request);
  if (system) config.systemInstruction = system;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  const tools = request.tools ?? [];
  if (tools.length > 0) {
    config.tools = toGeminiTools(tools);
    if (request.toolChoice) config.toolConfig = toToolConfig(request.toolChoice);
  }
  const format = request.responseFormat;
  if (format && format.type !== 'text') {
    // Gemini 2.x answers 400 to function calling with a JSON response type.
    if (tools.length > 0) throw refusedRequest('Gemini cannot combine a JSON response format with tools; ask for one or the other.');
    config.responseMimeType = 'application/json';
    // responseJsonSchema takes a plain JSON Schema; responseSchema wants Gemini's OpenAPI subset.
    if (format.type === 'json_schema') config.responseJsonSchema = format.schema;
  }
  return { model: request.model, contents: toGeminiContents(request.messages), config };
}
