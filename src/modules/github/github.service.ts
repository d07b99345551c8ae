import { AppError, badInput, type ErrorCode } from '../../errors.ts';
import { createGitHubClient, type GitHubClient } from '../../integrations/github/github.client.ts';
import { GitHubError } from '../../integrations/github/github.errors.ts';
import { listViewerRepositories } from '../../integrations/github/github.repositories.ts';
import type { KeysService } from '../keys/keys.service.ts';
import { parseRepositoryUrl, RepositoryUrlError } from './repo-url.ts';

const CODE_OF: Record<GitHubError['kind'], ErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  BAD_CREDENTIALS: 'API_KEY_REQUIRED',
  RATE_LIMITED: 'RATE_LIMITED',
  FORBIDDEN: 'FORBIDDEN',
  UNAVAILABLE: 'PROVIDER_ERROR',
};

/** GitHub failures as the contract's errors, with GitHub's clear message (never the token). */
export function fromGitHubError(error: unknown): unknown {
  if (!(error instanceof GitHubError)) return error;
  const message = error.kind === 'BAD_CREDENTIALS' ? 'GitHub refused your GITHUB key: add a valid one with addApiKey(provider: GITHUB).' : error.message;
  return new AppError(CODE_OF[error.kind], message, error.retryAfterMs !== null ? { retryAfterMs: error.retryAfterMs } : undefined);
}

export function parseRepositoryInput(repoUrl: string): { owner: string; name: string } {
  try {
    return parseRepositoryUrl(repoUrl);
  } catch (error) {
    if (error instanceof RepositoryUrlError) throw badInput(error.message, { field: 'repoUrl' });
    throw error;
  }
}

export class GitHubService {
  private readonly keys: KeysService;
  private readonly endpoint: string;

  constructor(keys: KeysService, endpoint: string) {
    this.keys = keys;
    this.endpoint = endpoint;
  }

  /** A client with the user's own GITHUB key; none is API_KEY_REQUIRED. */
  async clientFor(userId: string, signal?: AbortSignal): Promise<GitHubClient> {
    const token = await this.keys.secretFor(userId, 'GITHUB');
    if (!token) throw new AppError('API_KEY_REQUIRED', 'Reading GitHub needs your GITHUB key: add it with addApiKey(provider: GITHUB).');
    return createGitHubClient({ token, endpoint: this.endpoint, signal });
  }

  async repositories(userId: string, first: number, after: string | null) {
    const client = await this.clientFor(userId);
    try {
      return await listViewerRepositories(client, { first, after });
    } catch (error) {
      throw fromGitHubError(error);
    }
  }
}
