import type { Viewer } from './auth.service.ts';

interface Entry {
  viewer: Viewer;
  expiresAt: number | null;
  lastUsedAt: number | null;
  cachedAt: number;
}

/**
 * Recently seen tokens, by hash, so most requests authenticate without a database round trip. A
 * revocation evicts at once in this process and, through the pub/sub, in every replica sharing REDIS_URL;
 * without Redis, other replicas notice within `ttlMs`.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(ttlMs = 30_000, maxEntries = 10_000) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
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

  set(tokenHash: string, entry: Omit<Entry, 'cachedAt'>, now = Date.now()): void {
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

  evict(tokenHash: string): void {
    this.entries.delete(tokenHash);
  }
}
