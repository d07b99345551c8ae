// Each provider configuration's circuit breaker, shared by every replica through specs.provider_health:
// failures counted in a window open it, an open circuit is skipped for a cool-down, then exactly one call
// (across replicas) is let through as the trial, whose outcome closes or re-opens it. Admission reads a
// per-process snapshot (routing-cache.ts), so a call on a healthy provider costs no SQL; every state
// change drops that snapshot here and, through the pub/sub, in the other replicas. Without Redis another
// replica may keep trying an open provider until its snapshot expires (5 s): accepted.
import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../db/query.ts';
import type { Logger } from '../../logger.ts';
import type { CircuitState } from './intelligence-provider.entity.ts';
import type { CachedHealth, RoutingCache } from './routing-cache.ts';

export interface BreakerOptions {
  /** This many failures within windowMs open the circuit. */
  failureThreshold: number;
  windowMs: number;
  /** An open circuit stays open this long, then lets one trial call through (HALF_OPEN). */
  cooldownMs: number;
  /** The clock for every time the breaker reads or writes (tests inject one). */
  now?: () => Date;
}

/** 'closed': go. 'trial': go, as the half-open trial. 'open': skip this configuration. */
export type BreakerDecision = 'closed' | 'trial' | 'open';

export interface ProviderHealthView {
  state: CircuitState;
  failures: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  openedAt: Date | null;
  /** When an OPEN circuit lets its trial through; for HALF_OPEN, when a trial that never reported is given up. */
  retryAt: Date | null;
}

export interface CircuitTransition {
  configurationId: string;
  from: CircuitState;
  to: CircuitState;
}

/** The longest last error kept (the column is varchar(300)). */
export const LAST_ERROR_LENGTH = 300;

const HEALTHY: ProviderHealthView = { state: 'CLOSED', failures: 0, lastError: null, lastErrorAt: null, openedAt: null, retryAt: null };

interface HealthRow {
  configuration_id: string;
  state: CircuitState;
  failures: number;
  opened_at: Date | string | null;
  trial_at: Date | string | null;
  last_error: string | null;
  last_error_at: Date | string | null;
}

interface FailureRow {
  from_state: CircuitState | null;
  state: CircuitState;
  failures: number;
  inserted: boolean;
}

export class CircuitBreaker {
  private readonly em: EntityManager;
  private readonly failureThreshold: number;
  private readonly windowMs: number;
  private readonly cooldownMs: number;
  private readonly now: () => Date;
  private readonly cache: RoutingCache | null;
  private readonly logger: Logger | null;
  private readonly onTransition: (change: CircuitTransition) => void;

  constructor(em: EntityManager, options: BreakerOptions & { cache?: RoutingCache; logger?: Logger; onTransition?: (change: CircuitTransition) => void }) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) throw new RangeError('failureThreshold must be a whole number of at least 1');
    // A cool-down of 0 would let every concurrent caller claim the trial.
    if (!(options.windowMs > 0) || !(options.cooldownMs > 0)) throw new RangeError('windowMs and cooldownMs must be positive');
    this.em = em;
    this.failureThreshold = options.failureThreshold;
    this.windowMs = options.windowMs;
    this.cooldownMs = options.cooldownMs;
    this.now = options.now ?? (() => new Date());
    this.cache = options.cache ?? null;
    this.logger = options.logger ?? null;
    this.onTransition = options.onTransition ?? (() => {});
  }

  /** Before an attempt. No SQL unless the circuit's cool-down is over (then one UPDATE claims the trial). */
  async admit(configurationId: string): Promise<BreakerDecision> {
    const now = this.now();
    const row = (await this.snapshot(now)).get(configurationId);
    if (!row || row.state === 'CLOSED') return 'closed';
    // OPEN counts from opened_at; HALF_OPEN from its trial's claim (a trial not heard of by then is given up).
    const since = row.state === 'OPEN' ? row.openedAt : row.trialAt;
    if (since !== null && now.getTime() - since < this.cooldownMs) return 'open';
    if (await this.claimTrial(configurationId, now)) return 'trial';
    // Another caller claimed it, or the circuit moved on: this snapshot was stale, so read again (once).
    this.cache?.apply({ kind: 'health' });
    const fresh = (await this.snapshot(this.now())).get(configurationId);
    return fresh && fresh.state !== 'CLOSED' ? 'open' : 'closed';
  }

  /** After an attempt that failed in a way that counts. `message` is already free of secrets. */
  async failure(configurationId: string, message: string): Promise<void> {
    const now = this.now();
    const at = now.toISOString();
    const windowStart = new Date(now.getTime() - this.windowMs).toISOString();
    const threshold = this.failureThreshold;
    // A CLOSED circuit whose window has expired (or never started) starts a new one with this failure.
    const newWindow = `(h.state = 'CLOSED' and (h.window_started_at is null or h.window_started_at <= ?::timestamptz))`;
    const counted = `(case when ${newWindow} then 1 else h.failures + 1 end)`;
    // `previous` locks the row before the upsert, so its state is the one this statement changes.
    const [row] = await this.em.execute<FailureRow[]>(
      `with previous as (
         select state from specs.provider_health where configuration_id = ? for update
       )
       insert into specs.provider_health as h
         (configuration_id, state, failures, window_started_at, opened_at, trial_at, last_error, last_error_at, updated_at)
       select ?::uuid, case when 1 >= ? then 'OPEN' else 'CLOSED' end, 1, ?::timestamptz,
              case when 1 >= ? then ?::timestamptz end, null, ?, ?::timestamptz, ?::timestamptz
       from (select 1) as one left join previous on true
       on conflict (configuration_id) do update set
         state = case when h.state <> 'CLOSED' or ${counted} >= ? then 'OPEN' else 'CLOSED' end,
         opened_at = case when h.state = 'OPEN' then h.opened_at when h.state = 'HALF_OPEN' or ${counted} >= ? then excluded.updated_at end,
         failures = ${counted},
         window_started_at = case when ${newWindow} then excluded.updated_at else h.window_started_at end,
         trial_at = null,
         last_error = excluded.last_error,
         last_error_at = excluded.last_error_at,
         updated_at = excluded.updated_at
       returning (select state from previous) as from_state, h.state, h.failures, (h.xmax = 0) as inserted`,
      [
        configurationId,
        configurationId,
        threshold,
        at,
        threshold,
        at,
        lastErrorOf(message),
        at,
        at,
        windowStart,
        threshold,
        windowStart,
        threshold,
        windowStart,
        windowStart,
      ],
    );
    if (!row) return;
    const to = row.state;
    const from = row.from_state ?? (row.inserted ? 'CLOSED' : this.racedFrom(row));
    if (from !== to) this.transition({ configurationId, from, to }, row.failures);
    // No transition, but this replica's snapshot no longer shows the failure count a success must clear.
    else this.cache?.apply({ kind: 'health' });
  }

  /** After a successful attempt; `decision` is what admit returned. No SQL while the breaker is known clean. */
  async success(configurationId: string, decision: BreakerDecision): Promise<void> {
    if (decision === 'trial') {
      const at = this.now().toISOString();
      const [row] = await this.em.execute<{ configuration_id: string }[]>(
        `update specs.provider_health
         set state = 'CLOSED', failures = 0, window_started_at = null, opened_at = null, trial_at = null, updated_at = ?::timestamptz
         where configuration_id = ? and state = 'HALF_OPEN'
         returning configuration_id`,
        [at, configurationId],
      );
      if (row) this.transition({ configurationId, from: 'HALF_OPEN', to: 'CLOSED' }, 0);
      return;
    }
    const known = (await this.snapshot(this.now())).get(configurationId);
    if (!known || (known.state === 'CLOSED' && known.failures === 0)) return;
    const at = this.now().toISOString();
    // Failures count while they come in a row: a success in between starts the count again.
    const cleared = await this.em.execute<{ configuration_id: string }[]>(
      `update specs.provider_health set failures = 0, window_started_at = null, updated_at = ?::timestamptz
       where configuration_id = ? and state = 'CLOSED' and failures > 0
       returning configuration_id`,
      [at, configurationId],
    );
    if (cleared.length) this.cache?.apply({ kind: 'health' });
  }

  /** Fresh reads for GraphQL, many configurations in one query. A configuration with no row is CLOSED. */
  async health(configurationIds: readonly string[]): Promise<Map<string, ProviderHealthView>> {
    const ids = [...new Set(configurationIds)].filter(isUuid);
    const rows = ids.length
      ? await this.em.execute<HealthRow[]>(`select ${HEALTH_COLUMNS}, last_error, last_error_at from specs.provider_health where configuration_id = any(?::uuid[])`, [
          `{${ids.join(',')}}`,
        ])
      : [];
    const byId = new Map(rows.map((row) => [row.configuration_id, row]));
    return new Map(configurationIds.map((id) => [id, this.view(byId.get(id))]));
  }

  /** Admin reset: CLOSED at once, failures cleared (the last error stays, as history). */
  async reset(configurationId: string): Promise<void> {
    if (!isUuid(configurationId)) return;
    const [row] = await this.em.execute<{ from_state: CircuitState; failures: number }[]>(
      `update specs.provider_health h
       set state = 'CLOSED', failures = 0, window_started_at = null, opened_at = null, trial_at = null, updated_at = ?::timestamptz
       from (select configuration_id, state, failures from specs.provider_health where configuration_id = ? for update) as previous
       where h.configuration_id = previous.configuration_id and (previous.state <> 'CLOSED' or previous.failures > 0)
       returning previous.state as from_state, previous.failures`,
      [this.now().toISOString(), configurationId],
    );
    if (!row) return;
    if (row.from_state !== 'CLOSED') this.transition({ configurationId, from: row.from_state, to: 'CLOSED' }, 0);
    else this.cache?.changed({ kind: 'health' });
  }

  /**
   * Claims the half-open trial: one UPDATE that only one caller across replicas can win (the row lock
   * makes the others re-check the condition against the winner's write, which no longer matches).
   */
  private async claimTrial(configurationId: string, now: Date): Promise<boolean> {
    const cooledDown = new Date(now.getTime() - this.cooldownMs).toISOString();
    const [row] = await this.em.execute<{ from_state: CircuitState; failures: number }[]>(
      `update specs.provider_health h set state = 'HALF_OPEN', trial_at = ?::timestamptz, updated_at = ?::timestamptz
       from (
         select configuration_id, state, failures from specs.provider_health
         where configuration_id = ?
           and ((state = 'OPEN' and opened_at <= ?::timestamptz) or (state = 'HALF_OPEN' and trial_at <= ?::timestamptz))
         for update
       ) as previous
       where h.configuration_id = previous.configuration_id
       returning previous.state as from_state, previous.failures`,
      [now.toISOString(), now.toISOString(), configurationId, cooledDown, cooledDown],
    );
    if (!row) return false;
    if (row.from_state === 'OPEN') this.transition({ configurationId, from: 'OPEN', to: 'HALF_OPEN' }, row.failures);
    else {
      // The previous trial's caller never reported (its process died): this one takes over.
      this.logger?.warn({ configurationId, failures: row.failures }, 'circuit breaker trial given up and claimed again');
      this.cache?.changed({ kind: 'health' });
    }
    return true;
  }

  /**
   * The state before a failure that raced the row's very first insert (the lock saw no row yet). In that
   * instant the row can only have gone from CLOSED to OPEN, once, at exactly the threshold.
   */
  private racedFrom(row: FailureRow): CircuitState {
    return row.state === 'OPEN' && row.failures === this.failureThreshold ? 'CLOSED' : row.state;
  }

  private transition(change: CircuitTransition, failures: number): void {
    this.cache?.changed({ kind: 'health' });
    const line = { configurationId: change.configurationId, from: change.from, to: change.to, failures };
    if (change.to === 'OPEN') this.logger?.warn(line, 'circuit breaker opened');
    else this.logger?.info(line, change.to === 'CLOSED' ? 'circuit breaker closed' : 'circuit breaker trial');
    try {
      this.onTransition(change);
    } catch (error) {
      // A broken observer (metrics) must not fail the call that reported the outcome.
      this.logger?.warn({ err: error, configurationId: change.configurationId }, 'circuit breaker transition observer failed');
    }
  }

  /** The breakers that are not plainly healthy, from the routing cache when there is one. */
  private snapshot(now: Date): Promise<ReadonlyMap<string, CachedHealth>> {
    const load = async () => {
      const rows = await this.em.execute<HealthRow[]>(`select ${HEALTH_COLUMNS} from specs.provider_health where state <> 'CLOSED' or failures > 0`);
      return new Map(rows.map((row) => [row.configuration_id, { state: row.state, failures: row.failures, openedAt: epoch(row.opened_at), trialAt: epoch(row.trial_at) }]));
    };
    return this.cache ? this.cache.health(load, now.getTime()) : load();
  }

  private view(row: HealthRow | undefined): ProviderHealthView {
    if (!row) return { ...HEALTHY };
    const since = row.state === 'OPEN' ? epoch(row.opened_at) : row.state === 'HALF_OPEN' ? epoch(row.trial_at) : null;
    return {
      state: row.state,
      failures: row.failures,
      lastError: row.last_error,
      lastErrorAt: date(row.last_error_at),
      openedAt: date(row.opened_at),
      retryAt: since === null ? null : new Date(since + this.cooldownMs),
    };
  }
}

const HEALTH_COLUMNS = 'configuration_id, state, failures, opened_at, trial_at';

/** What is kept of an error message: one line of at most LAST_ERROR_LENGTH characters, no NUL (PostgreSQL refuses it). */
export function lastErrorOf(message: string): string {
  const characters = [...message.replace(/\0/g, '').replace(/\s+/g, ' ').trim()];
  return characters.length <= LAST_ERROR_LENGTH ? characters.join('') : `${characters.slice(0, LAST_ERROR_LENGTH - 1).join('')}…`;
}

function date(value: Date | string | null): Date | null {
  return value === null ? null : new Date(value);
}

function epoch(value: Date | string | null): number | null {
  return value === null ? null : new Date(value).getTime();
}
