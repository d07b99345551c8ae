import type { FinishReason } from '../types.ts';

const CONTENT_FILTERS = new Set([
  'SAFETY',
  'RECITATION',
  'LANGUAGE',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
]);

export function toFinishReason(reason: string | undefined, promptBlocked: boolean, calledTools = false): FinishReason {
  // A blocked prompt gets no candidate at all, only promptFeedback.blockReason.
  if (promptBlocked) return 'content-filter';
  if (reason === undefined || reason === 'FINISH_REASON_UNSPECIFIED') return 'unknown';
  // Gemini says STOP when it ends its turn with function calls too.
  if (reason === 'STOP') return calledTools ? 'tool-calls' : 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (CONTENT_FILTERS.has(reason)) return 'content-filter';
  return 'other';
}
