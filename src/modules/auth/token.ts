import { hash, randomBytes } from 'node:crypto';

// Tokens are opaque: a recognisable prefix (so secret scanners can find leaked ones) and 256 random bits.
const TOKEN_PREFIX = 'agora_';
const TOKEN_PATTERN = /^agora_[A-Za-z0-9_-]{43}$/;

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** SHA-256 hex, the form tokens are stored and cached under (one-shot: no Hash object per request). */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** What may be shown of a token: its prefix and first four random characters. */
export function tokenHint(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 4);
}

/** Reads `Bearer <token>` (case-insensitive scheme); anything else is null. */
export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}
