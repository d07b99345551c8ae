// The one write path of spend control: a call reserves its largest possible cost under every budget that
// applies to it, atomically, before it goes out; the usage writer settles the reservation to the actual
// cost in the usage row's own statement (usage.writer.ts); the sweepers release reservations of calls
// whose process died. A call's reservation is held on its PENDING usage row, written by the reservation's
// own statement; a fallback's (the row exists already) is a row of specs.budget_reservations.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { executeBound } from '../../db/query.ts';
import { AppError } from '../../errors.ts';
import type { PubSub } from '../../events/pubsub.ts';
import type { Actor } from '../auth/actor.ts';
import type { BudgetTarget, RoutingCache } from '../providers/routing-cache.ts';
import { LOCK_BUDGETS_IN_ORDER, type PendingEntry, pendingInsert, pendingInsertSql, PERIOD_START_SQL, type SettledBudget, type Settlement } from '../usage/usage.writer.ts';
import { countBudgetRefusal } from './budgets.metrics.ts';

/**
 * How long a reservation of its own (a fallback's) holds when its call never settles (its process died):
 * then the sweeper frees it. One held on a PENDING row is freed when the row is settled ABORTED.
 */
export const RESERVATION_TTL_MS = 60 * 60_000;

export interface CallBound {
  /** The largest possible cost in USD (8 decimals); null when it cannot be bounded (no price, no output bound). */
  maxCost: string | null;
  /** Why maxCost is null, for the refusal. */
  unbounded: string | null;
}

/** A reservation held for one call; settled with the usage row. */
export interface Reservation {
  /** The usage row's id when the row holds it, else its row's in specs.budget_reservations. */
  id: string;
  budgetIds: string[];
  amount: string;
  /** The call's PENDING usage row when the reservation's statement opened it, which then holds the reservation; null for a fallback's. */
  usageId: string | null;
}

interface LockedBudget {
  id: string;
  limit_amount: string;
  spent_now: string;
  reserved: string;
  fits: boolean;
}

export class BudgetLedger {
  private readonly em: EntityManager;
  private readonly cache: RoutingCache | null;
  private readonly pubsub: PubSub | null;
  private readonly now: () => Date;

  constructor(em: EntityManager, options: { cache?: RoutingCache; pubsub?: PubSub; now?: () => Date } = {}) {
    this.em = em;
    this.cache = options.cache ?? null;
    this.pubsub = options.pubsub ?? null;
    this.now = options.now ?? (() => new Date());
  }

  /** The budgets that apply to a call: everyone's, the actor's, the project's. No SQL while cached. */
  async applicable(actor: Actor, projectId: string | null): Promise<BudgetTarget[]> {
    const load = () =>
      this.em.execute<BudgetTarget[]>(
        `select b.id, b.scope, b.user_id as "userId", b.project_id as "projectId", b.allow_unpriced as "allowUnpriced",
                b.scope || ' ' || b.period || coalesce(' of ' || u.email, ' of project ' || p.name, '') as name
         from specs.budgets b left join auth.users u on u.id = b.user_id left join specs.projects p on p.id = b.project_id`,
      );
    const all = this.cache ? await this.cache.budgetTargets(load) : await load();
    return all.filter(
      (budget) => budget.scope === 'GLOBAL' || (budget.scope === 'USER' && budget.userId === actor.id) || (budget.scope === 'PROJECT' && budget.projectId !== null && budget.projectId === projectId),
    );
  }

  /**
   * Reserves the call's bound (`maxCost`) under every applicable budget in one statement: the budgets' rows are locked,
   * rolled over to the current period, checked, and all reserved or none. Null: no budget applies.
   * `pending`: the call's PENDING usage row, written by the same statement when the call fits and holding
   * the reservation; without it (a fallback's, whose row exists) the reservation is a row of its own.
   * Throws BUDGET_EXCEEDED (and tells the budgets' followers) when any would go over its limit.
   */
  async reserve(actor: Actor, projectId: string | null, boundOf: () => CallBound, pending?: PendingEntry): Promise<Reservation | null> {
    const budgets = await this.applicable(actor, projectId);
    if (budgets.length === 0) return null;
    // Bounding a call reads its whole conversation: only worth it when a budget applies.
    const bound = boundOf();
    if (bound.maxCost === null) {
      const strict = budgets.filter((budget) => !budget.allowUnpriced);
      if (strict.length) {
        countBudgetRefusal(strict[0]!.scope);
        throw new AppError('BUDGET_EXCEEDED', `The budget ${strict[0]!.name} refuses calls whose cost cannot be bounded: ${bound.unbounded}`, {
          budgetId: strict[0]!.id,
        });
      }
      return null;
    }
    const ids = budgets.map((budget) => budget.id).sort();
    // The call's PENDING usage row, written by this same statement when the call fits, holding the
    // reservation (else, for a fallback whose row exists, a reservation row of its own): one round trip.
    // Committed without waiting for the WAL flush (synchronous_commit off for this one transaction): other
    // calls see it and wait on its row locks as on any commit, so the check stays atomic; only a PostgreSQL
    // crash within a few hundred milliseconds could lose it, and then no amount is left reserved (the
    // settlement releases nothing and charges the cost). A settlement commits durably, which flushes the WAL
    // up to it, this reservation included.
    const opened = pending ? pendingInsert(pending, ADMITTED, { amount: bound.maxCost, budgetIds: ids }) : null;
    const id = opened?.id ?? randomUUID();
    const now = this.now();
    const at = now.toISOString();
    const rows = await executeBound<LockedBudget>(
      this.em,
      opened ? RESERVATION_SQL.onRow : RESERVATION_SQL.ownRow,
      [
        at,
        `{${ids.join(',')}}`,
        bound.maxCost,
        bound.maxCost,
        ...(opened ? opened.values : [id, `{${ids.join(',')}}`, bound.maxCost, at, new Date(now.getTime() + RESERVATION_TTL_MS).toISOString()]),
        bound.maxCost,
      ],
    );
    const over = rows.filter((row) => !row.fits);
    if (over.length === 0) return { id, budgetIds: ids, amount: bound.maxCost, usageId: opened?.id ?? null };
    for (const row of over) this.publish(row.id, 'EXCEEDED');
    const first = over[0]!;
    const refusing = budgets.find((budget) => budget.id === first.id);
    const name = refusing?.name ?? 'A budget';
    if (refusing) countBudgetRefusal(refusing.scope);
    throw new AppError(
      'BUDGET_EXCEEDED',
      `The budget ${name} would go over its limit of $${first.limit_amount} (spent $${first.spent_now}, $${first.reserved} reserved by calls in flight; this call may cost up to $${bound.maxCost}).`,
      { budgetId: first.id },
    );
  }

  /**
   * What a finished call settles: its actual cost, or, when that is unknown (tokens not reported, a call
   * cut off), its whole reservation, since the provider may have charged up to it. A call that failed
   * before any answer costs what the provider reported, else nothing.
   */
  settlement(reservation: Reservation, cost: string | null, status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'): Settlement {
    const charge = cost ?? (status === 'FAILED' ? '0' : reservation.amount);
    return { reservationId: reservation.id, onRow: reservation.usageId !== null, budgetIds: reservation.budgetIds, reserved: reservation.amount, charge };
  }

  /** Gives a reservation back unspent: the call went on elsewhere (a fallback reserves its own). */
  async release(reservation: Reservation): Promise<void> {
    if (reservation.usageId !== null) {
      // Off the PENDING row (still PENDING: a row the sweeper settled had its reservation released then).
      await this.em.execute(
        `with held as (
           select id, reserved, budget_ids from specs.usage_records where id = ? and status = 'PENDING' and reserved is not null for update
         ),
         cleared as (update specs.usage_records u set reserved = null, budget_ids = null from held h where u.id = h.id returning u.id),
         ${LOCK_BUDGETS_IN_ORDER('array(select unnest(budget_ids) from held)')}
         update specs.budgets b set reserved = greatest(b.reserved - h.reserved, 0), updated_at = now()
         from held h, ordered o where b.id = o.id`,
        [reservation.id],
      );
      return;
    }
    await this.em.execute(
      `with released as (delete from specs.budget_reservations where id = ? returning budget_ids, amount),
       ${LOCK_BUDGETS_IN_ORDER('array(select unnest(budget_ids) from released)')}
       update specs.budgets b set reserved = greatest(b.reserved - r.amount, 0), updated_at = now()
       from released r, ordered o where b.id = o.id`,
      [reservation.id],
    );
  }

  /** After a settlement: a WARNING, once per period, for each budget whose spend crossed its warnAt. */
  async warnCrossings(settled: readonly SettledBudget[]): Promise<void> {
    for (const budget of settled) {
      if (budget.warn_at === null) continue;
      const crossed = Number(budget.spent) >= budget.warn_at * Number(budget.limit_amount);
      const warned = budget.warned_at !== null && new Date(budget.warned_at) >= new Date(budget.period_start);
      if (!crossed || warned) continue;
      const [marked] = await this.em.execute<{ id: string }[]>(
        `update specs.budgets set warned_at = now() where id = ? and (warned_at is null or warned_at < period_start) returning id`,
        [budget.id],
      );
      // Another replica's settlement may have warned first: only the one that marked it tells.
      if (marked) this.publish(budget.id, 'WARNING');
    }
  }

  /**
   * Releases the reservations of their own (fallbacks') of calls that never settled (their process died).
   * Returns how many. Reservations held on PENDING rows are released by UsageWriter.sweepAbandoned.
   */
  async sweep(now: Date = this.now()): Promise<number> {
    const [row] = await this.em.execute<{ swept: string }[]>(
      `with expired as (
         delete from specs.budget_reservations where expires_at < ? returning budget_ids, amount
       ),
       per_budget as (
         select budget_id, sum(amount) as amount from expired, unnest(budget_ids) as budget_id group by budget_id
       ),
       ${LOCK_BUDGETS_IN_ORDER('array(select budget_id from per_budget)')},
       released as (
         update specs.budgets b set reserved = greatest(b.reserved - p.amount, 0), updated_at = now()
         from per_budget p, ordered o where b.id = p.budget_id and o.id = p.budget_id returning b.id
       )
       select count(*)::text as swept from expired`,
      [now.toISOString()],
    );
    return Number(row?.swept ?? 0);
  }

  private publish(budgetId: string, kind: 'WARNING' | 'EXCEEDED'): void {
    void this.pubsub?.publish('budget:event', { budgetId, kind, at: new Date().toISOString() });
  }
}

/** The reservation's rows that fit (its CTE), which the PENDING row's insert is selected from. */
const ADMITTED = 'verdict where fits';

/**
 * The reservation's statement (see BudgetLedger.reserve): with the PENDING row's insert (`opening`, selected
 * from the verdict) holding it, or with a reservation row of its own. Values: the time, the budgets' ids, the
 * bound twice, the row's values (or the reservation row's), the bound.
 */
function reservationSql(opening: string | null): string {
  return `with locked as (
         select id, period, limit_amount, spent, reserved, period_start, ${PERIOD_START_SQL('period', '?::timestamptz')} as current_start
         from specs.budgets, (select set_config('synchronous_commit', 'off', true)) as async_commit
         where id = any(?::uuid[]) order by id for update of budgets
       ),
       fresh as (
         select *, case when period_start = current_start then spent else 0 end as spent_now from locked
       ),
       verdict as (
         select coalesce(bool_and(spent_now + reserved + ?::numeric <= limit_amount), true) as fits from fresh
       ),
       held as (
         update specs.budgets b set reserved = f.reserved + ?::numeric, spent = f.spent_now, period_start = f.current_start, updated_at = now()
         from fresh f, verdict v where b.id = f.id and v.fits
         returning b.id
       ),
       ${
         opening
           ? `opened as (${opening})`
           : `booked as (
         insert into specs.budget_reservations (id, budget_ids, amount, created_at, expires_at)
         select ?::uuid, ?::uuid[], ?::numeric, ?::timestamptz, ?::timestamptz from verdict where fits
         returning id
       )`
       }
       select f.id, f.limit_amount::text as limit_amount, f.spent_now::text as spent_now, f.reserved::text as reserved,
              (f.spent_now + f.reserved + ?::numeric <= f.limit_amount) as fits
       from fresh f`;
}
/** Both, made once: held on the PENDING row (the same insert pendingInsert makes with a hold), or a row of its own. */
const RESERVATION_SQL = { onRow: reservationSql(pendingInsertSql(ADMITTED, true)), ownRow: reservationSql(null) };
