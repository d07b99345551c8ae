// Domain errors thrown by services. They carry the contract's error code; the GraphQL layer turns them
// into GraphQL errors with `extensions.code`, and REST routes into HTTP statuses. Services never import GraphQL.
import { ConnectionException } from '@mikro-orm/core';

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
  'SERVICE_UNAVAILABLE',
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
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

// What PostgreSQL and the driver say when the database cannot be reached or is going away, as opposed to a
// query it refused. SQLSTATE class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown,
// cannot connect now), 3D000 (no such database), 53300 (too many connections); socket codes; and the
// messages of pg and pg-pool, which carry no code.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '3D000', '53300']);
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // pg: unexpectedly, due to connection timeout
  /^timeout exceeded when trying to connect$/, // pg-pool: no connection within connectionTimeoutMillis
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
];

function isUnavailableCause(error: { code?: unknown; message?: unknown; routine?: unknown }): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  const message = typeof error.message === 'string' ? error.message : '';
  if (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code)) return true;
  // 55000 is a broad class; only its "database is not accepting connections" case (ALLOW_CONNECTIONS false)
  // is an outage. The routine names it whatever the server's lc_messages.
  if (code === '55000') return error.routine === 'CheckMyDatabase' || message.includes('is not currently accepting connections');
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * Whether `error` says the database is unreachable (refused, cut, shutting down, or out of connections):
 * a condition that passes by itself, reported as SERVICE_UNAVAILABLE rather than as a fault of ours.
 * MikroORM wraps pg's errors (copying their code) or lets them through; causes are followed a few levels.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    if (current instanceof ConnectionException || isUnavailableCause(current)) return true;
    // A host with several addresses fails with one error per address (Node's AggregateError).
    if (current instanceof AggregateError) return current.errors.length > 0 && current.errors.every(isDatabaseUnavailable);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is unavailable; try again shortly.';

/** The error a caller sees for `error`: SERVICE_UNAVAILABLE when the database is unreachable, else `error` itself. */
export function unavailableOr(error: unknown): unknown {
  return isDatabaseUnavailable(error) ? new AppError('SERVICE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE) : error;
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
