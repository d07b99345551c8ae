import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, badInput } from '../../errors.ts';
import { sleepWithSignal } from '../../llm/retry.ts';
import type { Actor } from '../auth/actor.ts';

/** How long a key's result is kept and served again. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3_600_000;
/** A claim without a result older than this belongs to a call whose process died: the next request takes it over. */
const CLAIM_LEASE_MS = 15 * 60_000;
const WAIT_STEP_MS = { first: 25, max: 250 };

/** What happened to a key: this request runs the call, or another one already has (or is running) it. */
export type Claim<Result> = { kind: 'claimed' } | { kind: 'done'; result: Result };

/** The request's identity under a key: the same input hashes the same, whatever the order of its fields. */
export function requestHash(input: unknown): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined && field !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Idempotent calls: the first request with a user's key claims it (one row, the primary key decides
 * between concurrent requests), runs, and stores its result; repeats within 24 hours get that result
 * without a second upstream call or usage row, and a repeat that arrives while the first runs waits for
 * it. The same key with a different input is CONFLICT. A call that fails releases its key.
 */
export class IdempotencyService {
  private readonly em: EntityManager;
  private readonly now: () => Date;

  constructor(em: EntityManager, options: { now?: () => Date } = {}) {
    this.em = em;
    this.now = options.now ?? (() => new Date());
  }

  /** Claims the key, or returns the stored result of the call that claimed it (waiting while it runs). */
  async claim<Result>(actor: Actor, key: string, hash: string, signal: AbortSignal): Promise<Claim<Result>> {
    checkKey(key);
    let wait = WAIT_STEP_MS.first;
    for (;;) {
      const now = this.now();
      const [claimed] = await this.em.execute<{ key: string }[]>(
        `insert into specs.idempotency_keys (user_id, key, request_hash, result, created_at, expires_at)
         values (?, ?, ?, null, ?, ?) on conflict (user_id, key) do nothing returning key`,
        [actor.id, key, hash, now.toISOString(), new Date(now.getTime() + IDEMPOTENCY_RETENTION_MS).toISOString()],
      );
      if (claimed) return { kind: 'claimed' };
      const [row] = await this.em.execute<{ request_hash: string; result: Result | null; created_at: Date; expires_at: Date }[]>(
        'select request_hash, result, created_at, expires_at from specs.idempotency_keys where user_id = ? and key = ?',
        [actor.id, key],
      );
      if (!row) continue; // released between the two statements: claim again
      const expired = new Date(row.expires_at) <= now;
      const abandoned = row.result === null && now.getTime() - new Date(row.created_at).getTime() > CLAIM_LEASE_MS;
      if (expired || abandoned) {
        await this.em.execute('delete from specs.idempotency_keys where user_id = ? and key = ? and created_at = ?', [actor.id, key, row.created_at]);
        continue;
      }
      if (row.request_hash !== hash) {
        throw new AppError('CONFLICT', 'This idempotencyKey was used for a different call in the last 24 hours: use a new key for a new call.', { field: 'idempotencyKey' });
      }
      if (row.result !== null) return { kind: 'done', result: row.result };
      // The first request is still running: wait for its result.
      await sleepWithSignal(wait, signal);
      wait = Math.min(wait * 2, WAIT_STEP_MS.max);
    }
  }

  async store(actor: Actor, key: string, result: unknown): Promise<void> {
    await this.em.execute('update specs.idempotency_keys set result = ?::jsonb where user_id = ? and key = ?', [JSON.stringify(result), actor.id, key]);
  }

  /** A call that failed gives its key back, so the client's retry runs it again. */
  async release(actor: Actor, key: string): Promise<void> {
    await this.em.execute('delete from specs.idempotency_keys where user_id = ? and key = ? and result is null', [actor.id, key]);
  }

  /** Forgets results past their retention. */
  async sweep(now: Date = this.now()): Promise<number> {
    const rows = await this.em.execute<{ key: string }[]>('delete from specs.idempotency_keys where expires_at < ? returning key', [now.toISOString()]);
    return rows.length;
  }
}

function checkKey(key: string): void {
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) throw badInput('idempotencyKey must be 1 to 255 visible ASCII characters.', { field: 'idempotencyKey' });
}
