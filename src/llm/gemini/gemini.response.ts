import type { GenerateContentResponse } from '@google/genai';
import type { ToolCall } from '../types.ts';
import { toolCallsOf } from './gemini.tools.ts';

/** The answer's text: the first candidate's text parts, without the model's thought parts. */
export function responseText(response: GenerateContentResponse): string {
  const parts = response.candidates?.[0]?.content?.parts ?? [];
  return parts.flatMap((part) => (typeof part.text === 'string' && !part.thought ? [part.text] : [])).join('');
}

/** The first candidate's functionCall parts, each with an id (made up when Gemini gives none). */
export function responseToolCalls(response: GenerateContentResponse): ToolCall[] {
  return toolCallsOf(response.candidates?.[0]?.content?.parts);
}

export function responseFinishReason(response: GenerateContentResponse): string | undefined {
  return response.candidates?.[0]?.finishReason;
}

export function promptBlocked(response: GenerateContentResponse): boolean {
  return response.promptFeedback?.blockReason !== undefined;
}
