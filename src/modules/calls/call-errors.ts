import { AppError, type ErrorCode } from '../../errors.ts';
import { ProviderCallError } from '../../llm/errors.ts';
import type { ProviderKind } from '../../llm/types.ts';

const CODE_OF: Record<ProviderCallError['code'], ErrorCode> = {
  PROVIDER_ERROR: 'PROVIDER_ERROR',
  RATE_LIMITED: 'RATE_LIMITED',
  API_KEY_REQUIRED: 'API_KEY_REQUIRED',
  API_KEY_REJECTED: 'PROVIDER_ERROR',
  TIMEOUT: 'PROVIDER_ERROR',
  ABORTED: 'PROVIDER_ERROR',
  BAD_REQUEST: 'BAD_USER_INPUT',
};

/** Provider failures as the contract's errors; the message names the provider and never a secret. */
export function toAppError(kind: ProviderKind, error: unknown): Error {
  if (error instanceof AppError) return error;
  if (error instanceof ProviderCallError) {
    return new AppError(CODE_OF[error.code], error.message, {
      provider: kind,
      providerCode: error.code,
      ...(error.statusCode ? { status: error.statusCode } : {}),
      ...(error.retryAfterMs !== null ? { retryAfterMs: error.retryAfterMs } : {}),
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}
