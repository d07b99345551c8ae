// Domain errors thrown by services. They carry the contract's error code; the GraphQL layer turns them
// into GraphQL errors with `extensions.code`, and REST routes into HTTP statuses. Services never import GraphQL.

export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'API_KEY_REQUIRED',
  'PROVIDER_ERROR',
  'RATE_LIMITED',
  'BUDGET_EXCEEDED',
  'INTERNAL_SERVER_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  override name = 'AppError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} was not found.`);
export const badInput = (message: string, details?: Record<string, unknown>) =>
  new AppError('BAD_USER_INPUT', message, details);

const HTTP_STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
  API_KEY_REQUIRED: 400,
  PROVIDER_ERROR: 502,
  RATE_LIMITED: 429,
  BUDGET_EXCEEDED: 402,
  INTERNAL_SERVER_ERROR: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** The one rule for required text input: trimmed, not empty, at most `max` characters; BAD_USER_INPUT naming the field. */
export function requireText(field: string, value: string | null | undefined, max: number): string {
  const trimmed = value?.trim();
  if (!trimmed) throw badInput(`${field} is required.`, { field });
  if (trimmed.length > max) throw badInput(`${field} is longer than ${max} characters.`, { field });
  return trimmed;
}

/** Optional text input: trimmed, null when empty, at most `max` characters. */
export function optionalText(field: string, value: string | null | undefined, max: number): string | null {
  return value?.trim() ? requireText(field, value, max) : null;
}
