import { graphql } from '@octokit/graphql';
import type { z } from 'zod';
import { toOctokitEndpoint } from './github-endpoint.ts';
import { mapGitHubFailure } from './github-failure.mapping.ts';
import { GitHubError } from './github.errors.ts';

/** One GraphQL operation and the schema its `data` must match. */
export interface GitHubQuery<T> {
  query: string;
  /** Flat variables. Octokit takes its own options from the same object, so no variable may be called
   *  query, method, url, baseUrl, headers, request, mediaType or operationName. */
  variables: Record<string, unknown>;
  schema: z.ZodType<T>;
  /** What is being read, for error messages: "the repository acme/shop". */
  subject: string;
}

export interface GitHubClient {
  query<T>(operation: GitHubQuery<T>): Promise<T>;
}

export interface GitHubClientOptions {
  token: string;
  /** The full GraphQL URL: https://api.github.com/graphql, https://HOST/api/graphql, or a test server's. */
  endpoint: string;
  signal?: AbortSignal;
}

const RESERVED_VARIABLES = new Set(['query', 'method', 'url', 'baseUrl', 'headers', 'request', 'mediaType', 'operationName']);

/**
 * A client for one token. No retries here (octokit's graphql has none either): the caller decides, with
 * GitHubError's kind and retryAfterMs. An abort rejects with the signal's reason, not a GitHubError.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const { token, signal } = options;
  if (token === '' || /\s/.test(token)) throw new GitHubError('BAD_CREDENTIALS', 'The GitHub token is empty or malformed.');
  const { baseUrl, url } = toOctokitEndpoint(options.endpoint);
  const send = graphql.defaults({
    baseUrl,
    url,
    headers: { authorization: `token ${token}`, 'user-agent': 'agora-github-import' },
    request: signal ? { signal } : {},
  });

  return {
    async query<T>(operation: GitHubQuery<T>): Promise<T> {
      const clash = Object.keys(operation.variables).find((name) => RESERVED_VARIABLES.has(name));
      if (clash) throw new TypeError(`The GraphQL variable name "${clash}" collides with an octokit option.`);
      signal?.throwIfAborted();
      let data: unknown;
      try {
        data = await send<unknown>(operation.query, operation.variables);
      } catch (error) {
        signal?.throwIfAborted();
        throw mapGitHubFailure(error, { subject: operation.subject, token });
      }
      const parsed = operation.schema.safeParse(data);
      if (!parsed.success) throw new GitHubError('UNAVAILABLE', `GitHub\u2019s answer for ${operation.subject} was not in the expected shape.`);
      return parsed.data;
    },
  };
}
