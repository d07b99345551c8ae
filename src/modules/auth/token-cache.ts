import type { Viewer } from './auth.service.ts';

interface Entry {
  viewer: Viewer;
  expiresAt: number | null;
  lastUsedAt: number | null;
  cachedAt: number;
}

// A token hash is 64 hex digits, so a key with this prefix can never be one.
const USER_KEY_PREFIX = 'user:';

/**
 * The key that evicts every cached viewer of one user (their role or rate limits changed), on the same
 * `auth:revoked` channel as token revocations: `evict(userRevocationKey(id))`.
 */
export function userRevocationKey(userId: string): string {
  return `${USER_KEY_PREFIX}${userId}`;
}

/** The user a revocation key names, or null when it names one token. */
export function revokedUserOf(key: string): string | null {
  return key.startsWith(USER_KEY_PREFIX) ? key.slice(USER_KEY_PREFIX.length) : null;
}

/**
 * Recently seen tokens, by hash, so most requests authenticate without a database round trip. A
 * revocation (one token, or every token of a user whose viewer changed) evicts at once in this process
 * and, through the pub/sub, in every replica sharing REDIS_URL; without Redis, other replicas notice
 * within `ttlMs`.
 *
 * Every eviction bumps `generation`: a lookup that began before it passes the generation it saw to `set`,
 * which then stores nothing, so a read racing an eviction cannot put the old viewer back.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private evictions = 0;

  constructor(ttlMs = 30_000, maxEntries = 10_000) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
  }

  get generation(): number {
    return this.evictions;
  }

  get(tokenHash: string, now = Date.now()): Entry | null {
    const entry = this.entries.get(tokenHash);
    if (!entry) return null;
    if (now - entry.cachedAt > this.ttlMs || (entry.expiresAt !== null && entry.expiresAt <= now)) {
      this.entries.delete(tokenHash);
      return null;
    }
    return entry;
  }

  set(tokenHash: string, entry: Omit<Entry, 'cachedAt'>, now = Date.now(), generation = this.evictions): void {
    if (generation !== this.evictions) return;
    if (this.entries.size >= this.maxEntries) {
      // Oldest first: Map keeps insertion order.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(tokenHash, { ...entry, cachedAt: now });
  }

  markUsed(tokenHash: string, at: number): void {
    const entry = this.entries.get(tokenHash);
    if (entry) entry.lastUsedAt = at;
  }

  /** Drops one token (by hash), or every token of a user (by `userRevocationKey`). */
  evict(key: string): void {
    this.evictions += 1;
    const userId = revokedUserOf(key);
    if (userId === null) {
      this.entries.delete(key);
      return;
    }
    for (const [tokenHash, entry] of this.entries) if (entry.viewer.id === userId) this.entries.delete(tokenHash);
  }
}
