import type { FinishReason } from '../types.ts';

/** `madeToolCalls`: Ollama ends a turn that called tools with "stop", like any other. */
export function toFinishReason(reason: string | null | undefined, madeToolCalls = false): FinishReason {
  switch (reason) {
    case 'stop':
      return madeToolCalls ? 'tool-calls' : 'stop';
    case 'length':
      return 'length';
    case null:
    case undefined:
    case '':
      return 'unknown';
    default:
      return 'other';
  }
}
