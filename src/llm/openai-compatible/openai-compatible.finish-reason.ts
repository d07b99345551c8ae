import type { FinishReason } from '../types.ts';

/**
 * `madeToolCalls`: OpenAI answers a forced tool choice with the calls and finish_reason "stop"
 * (and some compatible servers always do); the caller must still learn that tools are to be run.
 */
export function toFinishReason(reason: string | null | undefined, madeToolCalls = false): FinishReason {
  switch (reason) {
    case 'stop':
      return madeToolCalls ? 'tool-calls' : 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content-filter';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case null:
    case undefined:
      return 'unknown';
    default:
      return 'other';
  }
}
