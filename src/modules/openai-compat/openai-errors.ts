// Errors in OpenAI's shape, `{ error: { message, type, code, param } }`, with the statuses the OpenAI SDK
// turns into its typed errors (401 AuthenticationError, 404 NotFoundError, 429 RateLimitError, ...).
// Messages are the pipeline's own (written for people, never a secret); anything unexpected is masked.
import { AppError, type ErrorCode } from '../../errors.ts';
import type { Logger } from '../../logger.ts';

export interface OpenAiError {
  status: number;
  message: string;
  type: string;
  code: string | null;
  param: string | null;
  headers: Record<string, string>;
}

/** A request this endpoint refuses itself: BAD_USER_INPUT (or NOT_FOUND) naming the OpenAI parameter. */
export function refused(param: string | null, message: string, code = 'invalid_value', errorCode: ErrorCode = 'BAD_USER_INPUT'): AppError {
  return new AppError(errorCode, message, { field: param, openAiCode: code });
}

export const unsupported = (param: string, message: string) => refused(param, message, 'unsupported_parameter');

const SHAPE: Record<ErrorCode, { status: number; type: string; code: string }> = {
  UNAUTHENTICATED: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
  FORBIDDEN: { status: 403, type: 'permission_error', code: 'permission_denied' },
  NOT_FOUND: { status: 404, type: 'invalid_request_error', code: 'not_found' },
  BAD_USER_INPUT: { status: 400, type: 'invalid_request_error', code: 'invalid_value' },
  // The caller's token is fine; the provider lacks a key: not a 401, which clients read as "bad token".
  API_KEY_REQUIRED: { status: 400, type: 'invalid_request_error', code: 'api_key_required' },
  CONFLICT: { status: 409, type: 'invalid_request_error', code: 'conflict' },
  RATE_LIMITED: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  BUDGET_EXCEEDED: { status: 402, type: 'insufficient_quota', code: 'budget_exceeded' },
  PROVIDER_ERROR: { status: 502, type: 'api_error', code: 'provider_error' },
  SERVICE_UNAVAILABLE: { status: 503, type: 'server_error', code: 'service_unavailable' },
  INTERNAL_SERVER_ERROR: { status: 500, type: 'server_error', code: 'internal_error' },
};

// Refusals of the HTTP exchange itself rather than of the call.
const STATUS_OF_CODE: Record<string, number> = { method_not_allowed: 405, request_too_large: 413 };

// The pipeline names its fields as GraphQL's CallLlmInput does; clients know OpenAI's names.
const PARAM_NAMES: [RegExp, string][] = [
  [/^(prompt|system)$/, 'messages'],
  [/^provider$/, 'model'],
  [/^toolChoice$/, 'tool_choice'],
  [/^idempotencyKey$/, 'Idempotency-Key'],
  [/^maxTokens$/, 'max_tokens'],
  [/^responseFormat\.(schema|name)/, 'response_format.json_schema.$1'],
  [/^responseFormat$/, 'response_format'],
  [/^(tools\[\d+\])\.parameters/, '$1.function.parameters'],
  [/\.toolCalls/, '.tool_calls'],
  [/\.toolCallId/, '.tool_call_id'],
];

function paramOf(field: unknown): string | null {
  if (typeof field !== 'string') return null;
  return PARAM_NAMES.reduce((name, [pattern, replacement]) => name.replace(pattern, replacement), field);
}

/**
 * A provider timeout is a 504, other provider failures a 502. The pipeline reports both as PROVIDER_ERROR;
 * the upstream status tells an HTTP timeout, and `providerCode` (ProviderCallError's code, once
 * call-errors.ts passes it on) a transport one.
 */
function timedOut(details: Record<string, unknown> | undefined): boolean {
  return details?.providerCode === 'TIMEOUT' || details?.status === 408 || details?.status === 504;
}

const positive = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null);

/**
 * Retry-After in whole seconds (Agora's own limits say `retryAfter`, a provider's 429 `retryAfterMs`), at
 * least 1 when nobody said how long; retry-after-ms, which the OpenAI SDKs prefer, when it is known.
 */
function retryHeaders(details: Record<string, unknown> | undefined): Record<string, string> {
  const ms = positive(details?.retryAfterMs);
  const seconds = positive(details?.retryAfter) ?? (ms === null ? 1 : ms / 1000);
  return { 'retry-after': String(Math.max(1, Math.ceil(seconds))), ...(ms !== null ? { 'retry-after-ms': String(Math.round(ms)) } : {}) };
}

export function openAiErrorOf(error: unknown, logger: Logger): OpenAiError {
  if (!(error instanceof AppError)) {
    logger.error({ err: error }, 'openai-compatible request failed');
    return { status: 500, message: 'Unexpected error.', type: 'server_error', code: 'internal_error', param: null, headers: {} };
  }
  const shape = SHAPE[error.code];
  const details = error.details;
  const openAiCode = typeof details?.openAiCode === 'string' ? details.openAiCode : null;
  const result: OpenAiError = { ...shape, code: openAiCode ?? shape.code, message: error.message, param: paramOf(details?.field), headers: {} };
  const status = openAiCode ? STATUS_OF_CODE[openAiCode] : undefined;
  if (status) return { ...result, status };
  if (error.code === 'PROVIDER_ERROR' && timedOut(details)) return { ...result, status: 504, type: 'timeout_error', code: 'provider_timeout' };
  // A provider that answers 404 does not know the model: what OpenAI itself answers then.
  if (error.code === 'BAD_USER_INPUT' && details?.status === 404) return { ...result, status: 404, code: 'model_not_found', param: 'model' };
  if (error.code === 'RATE_LIMITED') result.headers = retryHeaders(details);
  if (error.code === 'UNAUTHENTICATED') result.headers['www-authenticate'] = 'Bearer';
  return result;
}

export function errorBody(error: OpenAiError): { error: { message: string; type: string; code: string | null; param: string | null } } {
  return { error: { message: error.message, type: error.type, code: error.code, param: error.param } };
}

export function errorResponse(error: OpenAiError): Response {
  return Response.json(errorBody(error), { status: error.status, headers: error.headers });
}
