// Where the per-minute counters live, shared by every replica: PostgreSQL (this file) or Redis
// (redis-window-store.ts). Both decide an admission atomically, in one round trip, by the arithmetic of
// sliding-window.ts.
import type { EntityManager } from '@mikro-orm/postgresql';
import { type Limits, WINDOW_MS, type WindowCounts, type WindowPosition } from './sliding-window.ts';

/** What one admission saw (the counters before it) and decided. */
export interface Admission {
  admitted: boolean;
  counts: WindowCounts;
}

export interface WindowStore {
  /**
   * Counts one request in the current minute if it fits `limits` (the sliding minute's requests and
   * tokens), atomically. Null: the store could not be asked and the request passes (fail open).
   */
  admit(userId: string, limits: Limits, position: WindowPosition): Promise<Admission | null>;
  /** Adds a finished call's tokens to the minute that starts at `windowStart`. */
  addTokens(userId: string, windowStart: number, tokens: number): Promise<void>;
}

interface AdmissionRow {
  requests: number;
  tokens: string | number;
  admitted: boolean;
  previous_requests: string | number;
  previous_tokens: string | number;
}

// The verdict of sliding-window.ts `admits`, over this minute's counters `requests` and `tokens`.
const FITS = (requests: string, tokens: string) => `(select (p.rpm is null or v.requests * p.remaining + (${requests}::bigint + 1) * ${WINDOW_MS} <= p.rpm * ${WINDOW_MS})
           and (p.tpm is null or v.tokens * p.remaining + ${tokens}::bigint * ${WINDOW_MS} < p.tpm * ${WINDOW_MS})
         from params p, previous v)`;

/**
 * Counters in `specs.rate_limit_windows`, one row per user and minute. An admission is one statement:
 * the current minute's row is inserted or, when it exists, updated under its row lock (concurrent
 * admissions of one user queue there), so the check and the increment cannot race.
 */
export class PostgresWindowStore implements WindowStore {
  private readonly em: EntityManager;

  constructor(em: EntityManager) {
    this.em = em;
  }

  async admit(userId: string, limits: Limits, position: WindowPosition): Promise<Admission> {
    const [row] = await this.em.execute<AdmissionRow[]>(
      `with params as (
         select ?::uuid as user_id, ?::timestamptz as window_start, ?::bigint as rpm, ?::bigint as tpm, ?::bigint as remaining
       ),
       previous as (
         select coalesce(max(w.requests), 0)::bigint as requests, coalesce(max(w.tokens), 0)::bigint as tokens
         from specs.rate_limit_windows w where w.user_id = ?::uuid and w.window_start = ?::timestamptz
       )
       insert into specs.rate_limit_windows as w (user_id, window_start, requests, tokens, admitted)
       select p.user_id, p.window_start, case when fits then 1 else 0 end, 0, fits
       from params p, ${FITS('0', '0')} as verdict(fits)
       on conflict (user_id, window_start) do update
         set (requests, admitted) = (select w.requests + case when fits then 1 else 0 end, fits from ${FITS('w.requests', 'w.tokens')} as verdict(fits))
       returning w.requests, w.tokens, w.admitted, (select requests from previous) as previous_requests, (select tokens from previous) as previous_tokens`,
      [
        userId,
        new Date(position.start).toISOString(),
        limits.requestsPerMinute,
        limits.tokensPerMinute,
        WINDOW_MS - position.elapsed,
        userId,
        new Date(position.previousStart).toISOString(),
      ],
    );
    if (!row) throw new Error('The rate-limit admission returned no row.');
    const requests = Number(row.requests) - (row.admitted ? 1 : 0);
    return {
      admitted: row.admitted,
      counts: { previousRequests: Number(row.previous_requests), previousTokens: Number(row.previous_tokens), requests, tokens: Number(row.tokens) },
    };
  }

  async addTokens(userId: string, windowStart: number, tokens: number): Promise<void> {
    await this.em.execute(
      `insert into specs.rate_limit_windows as w (user_id, window_start, requests, tokens, admitted) values (?, ?, 0, ?, true)
       on conflict (user_id, window_start) do update set tokens = w.tokens + excluded.tokens`,
      [userId, new Date(windowStart).toISOString(), tokens],
    );
  }

  /** Deletes the minutes no sliding minute reads any more (older than the previous one). Returns how many. */
  async sweep(now: number): Promise<number> {
    const rows = await this.em.execute<{ count: string }[]>(
      `with gone as (delete from specs.rate_limit_windows where window_start < ? returning 1) select count(*)::text as count from gone`,
      [new Date(Math.floor(now / WINDOW_MS) * WINDOW_MS - WINDOW_MS).toISOString()],
    );
    return Number(rows[0]?.count ?? 0);
  }
}
