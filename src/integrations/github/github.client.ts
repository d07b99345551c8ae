import { graphql } from '@octokit/graphql';
import type { z } from 'zod';
import { outboundFetch } from '../../net/guarded-fetch.ts';
import { GitHubError, toGitHubError } from './github.errors.ts';

/** Runs one GraphQL document against GitHub and parses the answer with a schema. */
export type GitHubClient = <T>(query: string, variables: Record<string, unknown>, schema: z.ZodType<T>, what: string) => Promise<T>;

/**
 * A client for one user's token against `endpoint` (the full GraphQL URL: GitHub's public one, a GitHub
 * Enterprise server's /api/graphql, or a test server). Octokit's own retries do not exist here; callers decide.
 * Connections go through the outbound policy's guarded fetch (no redirects, no refused addresses).
 */
export function createGitHubClient(options: { token: string; endpoint: string; signal?: AbortSignal }): GitHubClient {
  const client = graphql.defaults({
    url: options.endpoint,
    headers: { authorization: `token ${options.token}`, 'user-agent': 'agora-gateway' },
    request: { fetch: outboundFetch, ...(options.signal ? { signal: options.signal } : {}) },
  });
  return async (query, variables, schema, what) => {
    let data: unknown;
    try {
      data = await client(query, variables);
    } catch (error) {
      throw toGitHubError(error, what);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new GitHubError('UNAVAILABLE', `GitHub\u2019s answer for ${what} was not understood.`);
    return parsed.data;
  };
}
