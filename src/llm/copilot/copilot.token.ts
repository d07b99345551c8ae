// Copilot's chat API does not take the stored GitHub token: that token is exchanged for a
// short-lived Copilot token, which we keep in memory until shortly before it expires.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { fetchWithDeadline, outboundFailure } from '../driver-support.ts';
import { errorFromHttpStatus, errorFromTransport, ProviderCallError } from '../errors.ts';
import { parseJsonText } from '../json-text.ts';
import { COPILOT_CLIENT_HEADERS } from './copilot.headers.ts';

export const DEFAULT_TOKEN_URL = 'https://api.github.com/copilot_internal/v2/token';

/** Refresh this long before expiry, so a token never expires in the middle of a call. */
const REFRESH_MARGIN_MS = 2 * 60_000;

const tokenResponseSchema = z.object({
  token: z.string().min(1),
  expires_at: z.number(),
  endpoints: z.object({ api: z.url().optional() }).optional(),
});

export interface CopilotToken {
  token: string;
  expiresAtMs: number;
  /** The chat API root GitHub assigned to this account (individual, business, enterprise). */
  apiBaseUrl: string | null;
}

export interface CopilotTokenSource {
  get(githubToken: string, tokenUrl: string, signal: AbortSignal, timeoutMs?: number): Promise<CopilotToken>;
  forget(githubToken: string, tokenUrl: string): void;
}

function cacheKey(githubToken: string, tokenUrl: string): string {
  // Keyed by a hash so the cache never holds the GitHub token itself.
  return createHash('sha256').update(`${tokenUrl}\n${githubToken}`).digest('hex');
}

async function exchange(githubToken: string, tokenUrl: string, signal: AbortSignal, timeoutMs?: number): Promise<CopilotToken> {
  const secrets = [githubToken];
  let response: Response;
  try {
    response = await fetchWithDeadline(signal, timeoutMs)(tokenUrl, {
      headers: { ...COPILOT_CLIENT_HEADERS, Authorization: `token ${githubToken}`, Accept: 'application/json' },
    });
  } catch (error) {
    throw outboundFailure('COPILOT', error) ?? errorFromTransport('COPILOT', error, { signal, secrets });
  }
  const body = await response.text();
  if (response.status === 401 || response.status === 403) {
    throw new ProviderCallError({
      provider: 'COPILOT',
      code: 'API_KEY_REJECTED',
      statusCode: response.status,
      responseBody: body,
      secrets,
      message:
        response.status === 401
          ? 'GitHub rejected the token used for Copilot (HTTP 401): the provider rejected the API key. Check the GitHub token configured for Copilot.'
          : 'GitHub refused to issue a Copilot token (HTTP 403): the account behind the GitHub token may have no Copilot subscription.',
    });
  }
  if (!response.ok) throw errorFromHttpStatus('COPILOT', { status: response.status, headers: response.headers, body }, secrets);
  const parsed = parseJsonText(tokenResponseSchema, body);
  if (parsed === null) {
    throw new ProviderCallError({ provider: 'COPILOT', code: 'PROVIDER_ERROR', secrets, message: 'GitHub answered the Copilot token exchange with an unexpected response.' });
  }
  return { token: parsed.token, expiresAtMs: parsed.expires_at * 1000, apiBaseUrl: parsed.endpoints?.api ?? null };
}

export function createCopilotTokenSource(now: () => number = Date.now): CopilotTokenSource {
  const cache = new Map<string, CopilotToken>();
  return {
    async get(githubToken, tokenUrl, signal, timeoutMs) {
      const key = cacheKey(githubToken, tokenUrl);
      const cached = cache.get(key);
      if (cached && cached.expiresAtMs - REFRESH_MARGIN_MS > now()) return cached;
      const fresh = await exchange(githubToken, tokenUrl, signal, timeoutMs);
      cache.set(key, fresh);
      return fresh;
    },
    forget(githubToken, tokenUrl) {
      cache.delete(cacheKey(githubToken, tokenUrl));
    },
  };
}
