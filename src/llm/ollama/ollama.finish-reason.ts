import type { FinishReason } from '../types.ts';

export function toFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
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
