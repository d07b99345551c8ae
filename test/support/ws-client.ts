import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client on a real socket, with no retries so a failure shows at once. */
export function wsClient(url: string, token: string | null): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** Runs one subscription to completion and returns every result it delivered. */
export async function collect<T>(client: Client, query: string, variables?: Record<string, unknown>): Promise<T[]> {
  const results: T[] = [];
  const subscription = client.iterate<T>({ query, variables });
  for await (const result of subscription) results.push(result as T);
  return results;
}
