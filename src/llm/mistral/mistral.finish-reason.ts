import type { FinishReason } from '../types.ts';

/** `madeToolCalls`: a forced tool choice can end with "stop" next to the calls; tools are still to run. */
export function toFinishReason(reason: string | null | undefined, madeToolCalls = false): FinishReason {
  switch (reason) {
    case 'stop':
      return madeToolCalls ? 'tool-calls' : 'stop';
    case 'length':
    case 'model_length':
      return 'length';
    case 'tool_calls':
      return 'tool-calls';
    case 'error':
      return 'error';
    case null:
    case undefined:
      return 'unknown';
    default:
      return 'other';
  }
}
