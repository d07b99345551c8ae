// A replica's own copy of the cached answers it served or stored lately, in front of the shared response
// cache (response-cache.ts): a repeated call served from here costs no lookup statement. An entry is the
// shared row as read or written (its owner and its expiry), so it answers exactly whom and until when the
// row would. A live row is replaced only by another answer to the same call (two replicas that missed at
// once both store theirs), so a copy is always an answer the shared cache gave or holds for that call.
// Bounded by bytes, least recently used first out.

interface Entry {
  /** Whose it is: `project:<id>` or `user:<id>` (a user's own answers are not a project's). */
  owner: string;
  /** The answer as JSON text: each hit parses its own copy, so no caller can change another's. */
  json: string;
  expiresAt: number;
  bytes: number;
}

/** The owner of a scope's entries, as the shared cache matches them (project, else user). */
export function ownerOf(scope: { userId: string; projectId: string | null }): string {
  return scope.projectId === null ? `user:${scope.userId}` : `project:${scope.projectId}`;
}

export class RecentAnswers {
  private readonly maxBytes: number;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  /** `maxBytes`: the most JSON text held (an answer larger than a quarter of it is not held); 0 holds nothing. */
  constructor(maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new RangeError('maxBytes must be a whole number of bytes');
    this.maxBytes = maxBytes;
  }

  /** The answer's JSON for this owner if held and alive at `now` (ms), else null. */
  get(key: string, owner: string, now: number): string | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= now) {
      this.drop(key, entry);
      return null;
    }
    if (entry.owner !== owner) return null;
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.json;
  }

  /** Holds an answer the shared cache has (read or just written) until it expires there. */
  set(key: string, owner: string, json: string, expiresAt: number): void {
    const bytes = json.length * 2;
    if (bytes > this.maxBytes / 4) return;
    const previous = this.entries.get(key);
    if (previous) this.drop(key, previous);
    this.entries.set(key, { owner, json, expiresAt, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(oldest, entry);
    }
  }

  /** Forgets every answer (tests that change the shared cache behind the gateway's back). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /** How many answers and bytes are held (tests, metrics). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
