// One error for every way a GitHub read fails; its message is clear and never holds the token.
import { OutboundRedirectError, outboundErrorOf } from '../../net/guarded-fetch.ts';

export type GitHubErrorKind = 'NOT_FOUND' | 'BAD_CREDENTIALS' | 'RATE_LIMITED' | 'FORBIDDEN' | 'UNAVAILABLE';

export class GitHubError extends Error {
  override name = 'GitHubError';
  readonly kind: GitHubErrorKind;
  readonly retryAfterMs: number | null;

  constructor(kind: GitHubErrorKind, message: string, retryAfterMs: number | null = null) {
    super(message);
    this.kind = kind;
    this.retryAfterMs = retryAfterMs;
  }
}

interface ErrorLike {
  name?: unknown;
  status?: unknown;
  errors?: unknown;
  response?: { headers?: Record<string, string | undefined> } | unknown;
  headers?: Record<string, string | undefined>;
}

function headersOf(error: ErrorLike): Record<string, string | undefined> {
  const fromResponse = (error.response as { headers?: Record<string, string | undefined> } | undefined)?.headers;
  return fromResponse ?? error.headers ?? {};
}

function resetDelay(headers: Record<string, string | undefined>, now = Date.now()): number | null {
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000;
  const reset = Number(headers['x-ratelimit-reset']);
  return Number.isFinite(reset) && reset > 0 ? Math.max(reset * 1000 - now, 0) : null;
}

/** Maps octokit's RequestError / GraphqlResponseError and network failures to a GitHubError. */
export function toGitHubError(error: unknown, what: string): GitHubError {
  if (error instanceof GitHubError) return error;
  const refusal = outboundErrorOf(error);
  if (refusal instanceof OutboundRedirectError) return new GitHubError('UNAVAILABLE', `GitHub redirected; redirects are not followed (HTTP ${refusal.status}).`);
  if (refusal) return new GitHubError('UNAVAILABLE', `GitHub was not called because ${refusal.message}.`);
  const candidate = (error ?? {}) as ErrorLike;
  const headers = headersOf(candidate);
  if (candidate.name === 'GraphqlResponseError' && Array.isArray(candidate.errors)) {
    const types = (candidate.errors as { type?: string }[]).map((entry) => entry.type);
    if (types.includes('RATE_LIMITED')) return new GitHubError('RATE_LIMITED', 'GitHub\u2019s rate limit is reached; try again later.', resetDelay(headers));
    if (types.includes('NOT_FOUND')) return new GitHubError('NOT_FOUND', `${what} was not found on GitHub (or the key cannot see it).`);
    if (types.includes('FORBIDDEN')) return new GitHubError('FORBIDDEN', `GitHub refused access to ${what}.`);
    return new GitHubError('UNAVAILABLE', `GitHub could not answer for ${what}.`);
  }
  const status = typeof candidate.status === 'number' ? candidate.status : null;
  if (status === 401) return new GitHubError('BAD_CREDENTIALS', 'GitHub refused the key (bad credentials).');
  if ((status === 403 || status === 429) && (headers['x-ratelimit-remaining'] === '0' || status === 429 || headers['retry-after'])) {
    return new GitHubError('RATE_LIMITED', 'GitHub\u2019s rate limit is reached; try again later.', resetDelay(headers));
  }
  if (status === 403) return new GitHubError('FORBIDDEN', `GitHub refused access to ${what}.`);
  if (status === 404) return new GitHubError('NOT_FOUND', `${what} was not found on GitHub.`);
  return new GitHubError('UNAVAILABLE', status ? `GitHub answered HTTP ${status}.` : 'GitHub could not be reached.');
}
