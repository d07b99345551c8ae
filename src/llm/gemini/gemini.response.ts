import type { GenerateContentResponse } from '@google/genai';

/** The answer's text: the first candidate's text parts, without the model's thought parts. */
export function responseText(response: GenerateContentResponse): string {
  const parts = response.candidates?.[0]?.content?.parts ?? [];
  return parts.flatMap((part) => (typeof part.text === 'string' && !part.thought ? [part.text] : [])).join('');
}

export function responseFinishReason(response: GenerateContentResponse): string | undefined {
  return response.candidates?.[0]?.finishReason;
}

export function promptBlocked(response: GenerateContentResponse): boolean {
  return response.promptFeedback?.blockReason !== undefined;
}
