import { GraphQLError, type ExecutionResult } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { AppError, DATABASE_UNAVAILABLE_MESSAGE, ERROR_CODES, type ErrorCode, isDatabaseUnavailable } from '../errors.ts';
import type { Logger } from '../logger.ts';

const KNOWN_CODES = new Set<string>(ERROR_CODES);

// graphql-js and yoga codes for a request the client got wrong.
const CLIENT_FAULT_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND']);

function withCode(error: GraphQLError, code: ErrorCode, message = error.message, extra: Record<string, unknown> = {}): GraphQLError {
  return createGraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code, ...extra },
  });
}

/** RATE_LIMITED says when to come back: `retryAfter`, whole seconds (at least 1), when known. */
function retryAfterOf(error: AppError): Record<string, unknown> {
  if (error.code !== 'RATE_LIMITED') return {};
  const { retryAfter, retryAfterMs } = error.details ?? {};
  if (typeof retryAfter === 'number') return { retryAfter };
  if (typeof retryAfterMs === 'number') return { retryAfter: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
  return {};
}

/**
 * Yoga's error mask: domain errors become GraphQL errors with the contract's code; GraphQL errors the
 * server raised on purpose keep theirs (a missing one means the client's request was wrong); a database
 * that cannot be reached is SERVICE_UNAVAILABLE (the client may retry; nothing was half-written, as every
 * write is one transaction); anything else is logged and masked, so no stack trace or secret reaches a client.
 */
export function createErrorMasker(logger: Logger) {
  return (error: unknown, unexpectedMessage: string): Error => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof AppError) {
      const base = error instanceof GraphQLError ? error : createGraphQLError(original.message);
      return withCode(base, original.code, original.message, retryAfterOf(original));
    }
    if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) {
      const code = error.extensions?.code;
      if (typeof code === 'string' && KNOWN_CODES.has(code)) return error;
      if (typeof code === 'string' && !CLIENT_FAULT_CODES.has(code)) {
        logger.warn({ code, message: error.message }, 'unmapped GraphQL error code');
      }
      return withCode(error, 'BAD_USER_INPUT');
    }
    const path = error instanceof GraphQLError ? error.path : undefined;
    if (isDatabaseUnavailable(original)) {
      // An outage, not a bug: a warning with what the driver said (its code and message, never its client).
      const { code, message } = (original ?? {}) as { code?: unknown; message?: unknown };
      logger.warn({ code, reason: message }, 'database unavailable: operation answered SERVICE_UNAVAILABLE');
      return createGraphQLError(DATABASE_UNAVAILABLE_MESSAGE, { path, extensions: { code: 'SERVICE_UNAVAILABLE' } });
    }
    logger.error({ err: original }, 'unexpected error while executing an operation');
    return createGraphQLError(unexpectedMessage, { path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  };
}

function normalizeResultError(error: { extensions?: Record<string, unknown> }): void {
  // Mutated in place: yoga reads the HTTP status from these same error objects after this hook.
  const extensions = error.extensions as Record<string, unknown> | undefined;
  if (!extensions) return;
  // Yoga attaches the parser's message (which quotes the request body) in development: never send it.
  delete extensions.originalError;
  delete extensions.stacktrace;
  const code = extensions.code;
  if (typeof code !== 'string' || !KNOWN_CODES.has(code)) extensions.code = 'BAD_USER_INPUT';
}

/**
 * Errors raised before execution (parse, validation, protection limits, bad HTTP bodies) do not pass the
 * error mask; this gives them the contract's codes too.
 */
export function errorCodePlugin(): Plugin {
  return {
    onResultProcess({ result }) {
      if (Array.isArray(result) || !result || typeof result !== 'object' || Symbol.asyncIterator in result) return;
      for (const error of (result as ExecutionResult).errors ?? []) normalizeResultError(error);
    },
  };
}
