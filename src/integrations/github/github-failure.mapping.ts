import { GraphqlResponseError } from '@octokit/graphql';
import { z } from 'zod';
import { GitHubError } from './github.errors.ts';

// Turns whatever @octokit/graphql threw into the one GitHubError. Messages are built from our own words
// (plus GitHub's or the network's explanation with the token scrubbed out), and the octokit error is never
// attached as a cause: its `request` holds the headers, and so the token.

export interface FailureContext {
  /** What was being read, for the message: "the repository acme/shop". */
  subject: string;
  token: string;
  now?: number;
}

// @octokit/request's RequestError is not re-exported by @octokit/graphql (and is not our dependency), so it
// is recognised by shape: name "HttpError", a status, and a response when the server answered at all.
const httpError = z.object({
  name: z.literal('HttpError'),
  status: z.number(),
  message: z.string(),
  response: z.object({ headers: z.record(z.string(), z.unknown()) }).optional(),
});

const graphqlErrors = z.array(z.object({ type: z.string().optional(), message: z.string().optional() }).loose());

type Headers = Record<string, unknown>;
const MAX_DETAIL = 300;

export function scrubToken(text: string, token: string): string {
  const cleaned = token.length >= 4 ? text.split(token).join('[REDACTED]') : text;
  return cleaned.length > MAX_DETAIL ? `${cleaned.slice(0, MAX_DETAIL)}...` : cleaned;
}

function header(headers: Headers, name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

/** How long to wait: Retry-After (secondary limits) first, else the primary limit's reset time. */
export function rateLimitDelayMs(headers: Headers, now: number): number | null {
  const retryAfter = Number(header(headers, 'retry-after') ?? Number.NaN);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return Math.round(retryAfter * 1000);
  const reset = Number(header(headers, 'x-ratelimit-reset') ?? Number.NaN);
  return Number.isFinite(reset) && reset > 0 ? Math.max(Math.round(reset * 1000 - now), 0) : null;
}

function rateLimited(headers: Headers, now: number): GitHubError {
  return new GitHubError('RATE_LIMITED', 'GitHub\u2019s rate limit for this token is exhausted; try again later.', rateLimitDelayMs(headers, now));
}

function fromGraphqlErrors(error: GraphqlResponseError<unknown>, context: FailureContext, now: number): GitHubError {
  const parsed = graphqlErrors.safeParse(error.errors);
  const entries = parsed.success ? parsed.data : [];
  const types = new Set(entries.map((entry) => entry.type));
  if (types.has('RATE_LIMITED')) return rateLimited(error.headers, now);
  if (types.has('NOT_FOUND')) return new GitHubError('NOT_FOUND', `${capitalize(context.subject)} was not found on GitHub, or the token cannot see it.`);
  if (types.has('FORBIDDEN')) return new GitHubError('FORBIDDEN', `GitHub refused access to ${context.subject}.`);
  const detail = entries.find((entry) => entry.message)?.message;
  return new GitHubError('UNAVAILABLE', `GitHub could not answer for ${context.subject}${detail ? `: ${scrubToken(detail, context.token)}` : '.'}`);
}

function fromHttpError(error: z.infer<typeof httpError>, cause: unknown, context: FailureContext, now: number): GitHubError {
  if (!error.response) {
    // No response: octokit wraps network failures as status 500; the real reason is in the cause.
    const reason = cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : error.message;
    return new GitHubError('UNAVAILABLE', `GitHub could not be reached: ${scrubToken(reason, context.token)}`);
  }
  const headers = error.response.headers;
  const { status } = error;
  if (status === 401) return new GitHubError('BAD_CREDENTIALS', 'GitHub refused the token (bad credentials): it is wrong, expired or revoked.');
  const limited = header(headers, 'x-ratelimit-remaining') === '0' || header(headers, 'retry-after') !== null || /rate limit/i.test(error.message);
  if (status === 429 || (status === 403 && limited)) return rateLimited(headers, now);
  if (status === 403) return new GitHubError('FORBIDDEN', `GitHub refused access to ${context.subject} (HTTP 403).`);
  if (status === 404) return new GitHubError('UNAVAILABLE', 'The GitHub GraphQL endpoint answered HTTP 404: check the configured GitHub GraphQL URL.');
  const retryAfter = rateLimitDelayMs(headers, now);
  if (status >= 500) return new GitHubError('UNAVAILABLE', `GitHub failed with HTTP ${status}; try again later.`, retryAfter);
  return new GitHubError('UNAVAILABLE', `GitHub answered HTTP ${status} for ${context.subject}.`);
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function mapGitHubFailure(error: unknown, context: FailureContext): GitHubError {
  if (error instanceof GitHubError) return error;
  const now = context.now ?? Date.now();
  if (error instanceof GraphqlResponseError) return fromGraphqlErrors(error, context, now);
  const http = httpError.safeParse(error);
  if (http.success) return fromHttpError(http.data, error, context, now);
  const reason = error instanceof Error ? error.message : String(error);
  return new GitHubError('UNAVAILABLE', `GitHub could not be reached: ${scrubToken(reason, context.token)}`);
}
