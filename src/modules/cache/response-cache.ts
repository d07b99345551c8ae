import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { GenerateRequest, ProviderKind } from '../../llm/types.ts';
import { executeBound } from '../../db/query.ts';
import { ownerOf, type RecentAnswers } from './recent-answers.ts';

/**
 * Whose answers may be shared: one user's, or (with a project) everyone who can read the project.
 * The caller has checked that `userId` may read `projectId` before it builds a project scope.
 */
export type CacheScope = { userId: string; projectId: string | null };

/** Everything that makes two calls the same call. */
export interface CacheableCall {
  provider: ProviderKind;
  configurationId: string | null;
  model: string;
  request: GenerateRequest;
}

// Bumped when what goes into a key changes, so entries hashed the old way are never matched again.
const KEY_VERSION = 1;

/** The key: sha256 hex of a canonical JSON (object keys sorted, undefined dropped) of scope + call. */
export function responseCacheKey(scope: CacheScope, call: CacheableCall): string {
  // A project's entries belong to the project, not to whichever member wrote them; without a project,
  // to the user. The two spellings cannot collide: the field names differ.
  const owner = scope.projectId === null ? { userId: scope.userId } : { projectId: scope.projectId };
  const identity = {
    version: KEY_VERSION,
    owner,
    provider: call.provider,
    configurationId: call.configurationId,
    model: call.model,
    request: call.request,
  };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

/**
 * JSON with object keys sorted and undefined fields dropped, so the same value always reads the same.
 * Null is kept: in a JSON Schema `"default": null` says something an absent default does not.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface ResponseCacheOptions {
  /** Bound on rows; beyond it the oldest are evicted by sweep(). */
  maxEntries: number;
  /** An answer larger than this (as UTF-8 JSON) is not stored. */
  maxEntryBytes: number;
  /** The replica's copy of answers it served or stored lately (recent-answers.ts), asked first. */
  recent?: RecentAnswers | null;
  now?: () => Date;
}

// jsonb refuses the NUL character and unpaired surrogates, which JSON.stringify writes as these escapes
// (a paired surrogate is written as the character itself). Such an answer is not cached rather than
// failing the call that tries to store it.
const UNSTORABLE_IN_JSONB = /\\u0000|\\ud[89a-f]/i;

/**
 * Answers of earlier identical calls (specs.response_cache, unlogged), looked up by responseCacheKey.
 * The scope is hashed into the key and also stored in the row and checked on every read, so a row can
 * only ever be served to the scope that wrote it. One parameterised statement per get, put and sweep.
 */
export class ResponseCache<T = unknown> {
  private readonly em: EntityManager;
  private readonly maxEntries: number;
  private readonly maxEntryBytes: number;
  private readonly now: () => Date;
  private readonly recent: RecentAnswers | null;

  constructor(em: EntityManager, options: ResponseCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    if (!Number.isInteger(options.maxEntryBytes) || options.maxEntryBytes < 1) throw new RangeError('maxEntryBytes must be a positive integer');
    this.em = em;
    this.maxEntries = options.maxEntries;
    this.maxEntryBytes = options.maxEntryBytes;
    this.now = options.now ?? (() => new Date());
    this.recent = options.recent ?? null;
  }

  /** The stored value, or null when absent, expired (even unswept) or written under another scope. */
  async get(key: string, scope: CacheScope): Promise<T | null> {
    const at = this.now();
    const owner = ownerOf(scope);
    const held = this.recent?.get(key, owner, at.getTime());
    if (held) return JSON.parse(held) as T;
    const now = at.toISOString();
    // On the path of every call that asks for the cache: a prepared statement (executeBound).
    type Row = { json: string; expires_at: Date };
    const [row] =
      scope.projectId === null
        ? await executeBound<Row>(
            this.em,
            'select result::text as json, expires_at from specs.response_cache where key = ? and expires_at > ?::timestamptz and project_id is null and user_id = ?::uuid',
            [key, now, scope.userId],
          )
        : await executeBound<Row>(
            this.em,
            'select result::text as json, expires_at from specs.response_cache where key = ? and expires_at > ?::timestamptz and project_id = ?::uuid',
            [key, now, scope.projectId],
          );
    if (!row) return null;
    this.recent?.set(key, owner, row.json, new Date(row.expires_at).getTime());
    return JSON.parse(row.json) as T;
  }

  /**
   * Stores (upserts) value for ttlSeconds. False when it was not stored: larger than maxEntryBytes,
   * not storable as jsonb, or the key holds a row of another scope (which is left alone).
   */
  async put(key: string, scope: CacheScope, value: T, ttlSeconds: number): Promise<boolean> {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError('ttlSeconds must be a positive number');
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError('A cached value must be JSON');
    const sizeBytes = Buffer.byteLength(json, 'utf8');
    if (sizeBytes > this.maxEntryBytes || UNSTORABLE_IN_JSONB.test(json)) return false;
    const now = this.now();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    const stored = await this.em.execute<{ key: string }[]>(
      `insert into specs.response_cache as entry (key, user_id, project_id, result, size_bytes, created_at, expires_at)
       values (?, ?, ?, ?::jsonb, ?, ?, ?)
       on conflict (key) do update set user_id = excluded.user_id, result = excluded.result, size_bytes = excluded.size_bytes,
         created_at = excluded.created_at, expires_at = excluded.expires_at
       where entry.project_id is not distinct from excluded.project_id
         and (excluded.project_id is not null or entry.user_id = excluded.user_id)
       returning key`,
      [key, scope.userId, scope.projectId, json, sizeBytes, now.toISOString(), expiresAt.toISOString()],
    );
    if (stored.length === 1) this.recent?.set(key, ownerOf(scope), json, expiresAt.getTime());
    return stored.length === 1;
  }

  /** Deletes expired rows, then the oldest live rows beyond maxEntries. Returns how many rows went. */
  async sweep(): Promise<number> {
    const now = this.now().toISOString();
    const [row] = await this.em.execute<{ count: number }[]>(
      `with gone as (
         delete from specs.response_cache
         where expires_at <= ?
            or key in (select key from specs.response_cache where expires_at > ? order by created_at desc, key desc offset ?)
         returning 1)
       select count(*)::int as count from gone`,
      [now, now, this.maxEntries],
    );
    return row?.count ?? 0;
  }
}
