// Where an operation's Authorization comes from, on each transport: the HTTP request's header (GraphQL
// over HTTP, SSE, graphql-sse), or on WebSocket the connection's params or the subscribe message.

/** The initial context of an operation, before buildContext adds to it (yoga merges the two). */
export interface InitialContext {
  /** An HTTP operation's request (also graphql-sse's); absent on WebSocket. */
  request?: Request;
  /** Set on WebSocket operations only: the authorization found for this operation (null: none). */
  webSocketAuthorization?: string | null;
}

/** The Authorization an operation is authenticated with, on any transport. */
export function authorizationOf(initial: InitialContext): string | null {
  if (initial.webSocketAuthorization !== undefined) return initial.webSocketAuthorization;
  return initial.request?.headers.get('authorization') ?? null;
}

/** A string value under `name`, whatever its case, in a plain object (connection params, headers); else null. */
export function headerIn(record: unknown, name: string): string | null {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return null;
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() === name && typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/**
 * A WebSocket operation's authorization: the connection's `connectionParams.authorization` (graphql-ws
 * clients), else the subscribe message's `payload.extensions.headers.authorization` (GraphiQL sends the
 * Headers tab there, and an empty connection_init). Read per operation, and checked like an HTTP header.
 */
export function webSocketAuthorizationOf(connectionParams: unknown, extensions: unknown): string | null {
  const headers = typeof extensions === 'object' && extensions !== null ? (extensions as { headers?: unknown }).headers : undefined;
  return headerIn(connectionParams, 'authorization') ?? headerIn(headers, 'authorization');
}
