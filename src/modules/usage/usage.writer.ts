import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { executeBound } from '../../db/query.ts';
import type { ProviderKind } from '../../llm/types.ts';
import { RowBatcher } from './row-batcher.ts';

export interface UsageEntry {
  userId: string;
  projectId: string | null;
  provider: ProviderKind;
  model: string;
  inputTokens: number | null;
  outputTokens: number | null;
  cost: string | null;
  latencyMs: number;
  status: SettledStatus;
  errorClass: string | null;
  streamed: boolean;
  attempts: number;
  /** When the call happened; now by default. */
  at?: Date;
  /** The call's tags, sorted and unique (validated by the call path). */
  tags?: readonly string[];
  /** The budget reservation the call made (budgets.ledger.ts), settled by the same statement. */
  settlement?: Settlement | null;
  /** Served from the response cache (cost 0), with what the call it repeats cost (null: unknown). */
  cached?: { savedCost: string | null } | null;
}

/** How a call ended. */
export type SettledStatus = 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'ABORTED';

/** A call about to go out: its row is written PENDING first, so a process that dies leaves it on the books. */
export interface PendingEntry {
  userId: string;
  projectId: string | null;
  provider: ProviderKind;
  model: string;
  streamed: boolean;
  tags: readonly string[];
  /** After this, a row still PENDING belongs to a dead process (the call's own deadline has long passed). */
  deadlineAt: Date;
}

/** What a call settles under its budgets: its reservation, released, and its charge, added to spent. */
export interface Settlement {
  reservationId: string;
  /** Held on the call's PENDING row (reservationId is the row's): released from there, else from specs.budget_reservations. */
  onRow: boolean;
  budgetIds: readonly string[];
  /** What was reserved (USD, 8 decimals). */
  reserved: string;
  /** What the call costs its budgets (see budgets.ledger.ts for calls whose cost is unknown). */
  charge: string;
}

/** A reservation for the PENDING row to hold (see BudgetLedger.reserve). */
export interface Hold {
  amount: string;
  budgetIds: readonly string[];
}

/** A budget as its settlement left it, for crossing warnings. */
export interface SettledBudget {
  id: string;
  spent: string;
  limit_amount: string;
  warn_at: number | null;
  warned_at: Date | null;
  period_start: Date;
}

/** The start of a budget's current period, in SQL, at the timestamp `at` (named once: a placeholder may be used); TOTAL: the epoch. */
export const PERIOD_START_SQL = (period: string, at: string) =>
  `coalesce(date_trunc(case ${period} when 'DAY' then 'day' when 'MONTH' then 'month' end, ${at}, 'UTC'), timestamptz 'epoch')`;

/**
 * A CTE `ordered` that locks the budgets `ids` (an SQL uuid[] expression) in id order, for a statement that
 * then updates them (`from ordered o where b.id = o.id`). Every statement that writes several budgets locks
 * them so (the reservation too): an update alone takes its rows in scan order, which changes as rows are
 * rewritten, and two calls under the same two budgets would deadlock.
 */
export const LOCK_BUDGETS_IN_ORDER = (ids: string) => `ordered as (select id from specs.budgets where id = any(${ids}) order by id for update)`;

/** Adds a new call's sums to a rollup bucket (`d`, the row in place; `excluded`, the call). */
const ADD_BUCKET = `calls = d.calls + excluded.calls,
  input_tokens = d.input_tokens + excluded.input_tokens,
  output_tokens = d.output_tokens + excluded.output_tokens,
  cost = d.cost + excluded.cost,
  unknown_cost_calls = d.unknown_cost_calls + excluded.unknown_cost_calls`;

/** One fold at a time (see foldRollups): the advisory lock every fold takes in its transaction. */
export const FOLD_LOCK = 727_005;

/**
 * The ledger's two row statements, as columns with their types in the order of their values: the statement
 * of one row (usage.writer's own, or inside a budget reservation's) and the shared statement of the group
 * commit are both built from these, so a row's values mean the same in either.
 */
type LedgerColumn = readonly [name: string, type: string];
const PENDING_COLUMNS: readonly LedgerColumn[] = [
  ['id', 'uuid'], ['created_at', 'timestamptz'], ['user_id', 'uuid'], ['project_id', 'uuid'], ['provider', 'text'], ['model', 'text'],
  ['streamed', 'boolean'], ['tags', 'text[]'], ['deadline_at', 'timestamptz'],
];
/** What every PENDING row holds besides its values. */
const PENDING_CONSTANTS = { columns: 'latency_ms, status, attempts', values: "0, 'PENDING', 0" };
const SETTLED_COLUMNS: readonly LedgerColumn[] = [
  ['id', 'uuid'], ['created_at', 'timestamptz'], ['user_id', 'uuid'], ['project_id', 'uuid'], ['provider', 'text'], ['model', 'text'],
  ['input_tokens', 'int'], ['output_tokens', 'int'], ['cost', 'numeric'], ['latency_ms', 'int'], ['status', 'text'], ['error_class', 'text'],
  ['streamed', 'boolean'], ['attempts', 'int'], ['tags', 'text[]'], ['cached', 'boolean'], ['saved_cost', 'numeric'],
];
/**
 * A settlement over the call's PENDING row (keeping when it began, which the rollups file it under). A row
 * already settled (by the sweeper) is left alone; a PENDING row PostgreSQL lost (it was committed
 * asynchronously) is inserted whole.
 */
const SETTLE_PENDING_ROW = `on conflict (id) do update set
  (provider, model, input_tokens, output_tokens, cost, latency_ms, status, error_class, streamed, attempts, tags, cached, saved_cost, deadline_at)
  = (excluded.provider, excluded.model, excluded.input_tokens, excluded.output_tokens, excluded.cost, excluded.latency_ms, excluded.status,
     excluded.error_class, excluded.streamed, excluded.attempts, excluded.tags, excluded.cached, excluded.saved_cost, null)
  where usage_records.status = 'PENDING'`;

const columnNames = (columns: readonly LedgerColumn[]) => columns.map(([name]) => name).join(', ');
/** One bound value per column, cast (in an insert's select list a bind parameter has no column type to take; see executeBound). */
const boundValues = (columns: readonly LedgerColumn[]) => columns.map(([, type]) => `?::${type}`).join(', ');
/** jsonb_to_recordset's columns: an array comes as its text literal (tagArray), cast where it is selected. */
const recordColumns = (columns: readonly LedgerColumn[]) => columns.map(([name, type]) => `${name} ${type.endsWith('[]') ? 'text' : type}`).join(', ');
const recordValues = (columns: readonly LedgerColumn[]) => columns.map(([name, type]) => `r.${name}::${type}`).join(', ');

/** A rollup bucket's sums over the rows of a fold that fall in it. */
const SUMS = 'count(*), sum(r.input_tokens), sum(r.output_tokens), sum(r.cost), sum(r.unknown_cost_calls)';

/** Writes usage: the raw row (its rollups follow off the hot path, foldRollups) and its budget settlement, together. */
export class UsageWriter {
  private readonly em: EntityManager;
  private readonly batch: LedgerBatch | null;

  /** `batch`: the process's group commit for PENDING rows and plain settlements (createLedgerBatch); absent: a statement per row. */
  constructor(em: EntityManager, batch?: LedgerBatch | null) {
    this.em = em;
    this.batch = batch ?? null;
  }

  /**
   * Writes one usage row and folds it into the rollups (daily and hourly per user, project, provider and
   * model; daily for everyone per provider and model): one statement, so all of it happens or none, in a
   * single round trip. The rollups add the row as stored (cost rounded to the column's scale).
   */
  async record(entry: UsageEntry): Promise<SettledBudget[]> {
    return this.write(entry, null);
  }

  /**
   * The first half of a paid call's ledger: its row, PENDING, before the provider is called. Returns the
   * row's id for `settle`.
   */
  async open(entry: PendingEntry): Promise<string> {
    const opening = pendingInsert(entry, null);
    if (this.batch && !this.em.isInTransaction()) await this.batch.pending.add(opening);
    else await executeBound(this.em, opening.sql, opening.values);
    return opening.id;
  }

  /**
   * The second half: the PENDING row becomes the call's outcome, folded into the rollups and its budget
   * reservation settled, in one statement. A row already settled (by the sweeper, its process presumed
   * dead) is left alone: a call is on the books exactly once.
   */
  async settle(id: string, entry: UsageEntry): Promise<SettledBudget[]> {
    return this.write(entry, id);
  }

  /**
   * Folds settled calls not yet in the rollups into them (daily and hourly per user, project, provider and
   * model; daily for everyone; the tag rollups), marking them folded, in one statement: a row is counted
   * exactly once, in the rollups or (until then) by summaries reading it raw. One replica folds at a time
   * (an advisory lock; the others find nothing to do). Returns how many rows it folded.
   */
  async foldRollups(limit = 5_000): Promise<number> {
    const [row] = await this.em.execute<{ folded: string }[]>(
      `with lock as (select pg_try_advisory_xact_lock(${FOLD_LOCK}) as held),
       batch as (
         select id from specs.usage_records
         where not folded and status <> 'PENDING' and (select held from lock)
         order by created_at limit ? for update skip locked
       ),
       r as (
         update specs.usage_records u set folded = true from batch where u.id = batch.id
         returning u.created_at, u.user_id, u.project_id, u.provider, u.model, u.tags,
                   coalesce(u.input_tokens, 0) as input_tokens, coalesce(u.output_tokens, 0) as output_tokens,
                   coalesce(u.cost, 0) as cost, case when u.cost is null then 1 else 0 end as unknown_cost_calls
       ),
       hourly as (
         insert into specs.usage_hourly as d (hour, user_id, project_id, provider, model, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
         select date_trunc('hour', r.created_at, 'UTC'), r.user_id, r.project_id, r.provider, r.model, ${SUMS} from r group by 1, 2, 3, 4, 5
         on conflict (hour, user_id, project_id, provider, model) do update set ${ADD_BUCKET}
       ),
       totals as (
         insert into specs.usage_daily_totals as d (day, provider, model, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
         select (r.created_at at time zone 'UTC')::date, r.provider, r.model, ${SUMS} from r group by 1, 2, 3
         on conflict (day, provider, model) do update set ${ADD_BUCKET}
       ),
       daily as (
         insert into specs.usage_daily as d (day, user_id, project_id, provider, model, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
         select (r.created_at at time zone 'UTC')::date, r.user_id, r.project_id, r.provider, r.model, ${SUMS} from r group by 1, 2, 3, 4, 5
         on conflict (day, user_id, project_id, provider, model) do update set ${ADD_BUCKET}
       ),
       daily_tags as (
         insert into specs.usage_daily_tags as d (day, user_id, project_id, provider, model, tag, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
         select (r.created_at at time zone 'UTC')::date, r.user_id, r.project_id, r.provider, r.model, tag, ${SUMS} from r, unnest(r.tags) as tag group by 1, 2, 3, 4, 5, 6
         on conflict (day, user_id, project_id, provider, model, tag) do update set ${ADD_BUCKET}
       ),
       hourly_tags as (
         insert into specs.usage_hourly_tags as d (hour, user_id, project_id, provider, model, tag, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
         select date_trunc('hour', r.created_at, 'UTC'), r.user_id, r.project_id, r.provider, r.model, tag, ${SUMS} from r, unnest(r.tags) as tag group by 1, 2, 3, 4, 5, 6
         on conflict (hour, user_id, project_id, provider, model, tag) do update set ${ADD_BUCKET}
       )
       select count(*)::text as folded from r`,
      [limit],
    );
    return Number(row?.folded ?? 0);
  }

  /**
   * Settles the rows of calls whose process died (still PENDING past their deadline) as ABORTED, with what
   * is known: no tokens, an unknown cost. Returns how many.
   */
  async sweepAbandoned(now: Date = new Date(), limit = 500): Promise<number> {
    const rows = await this.em.execute<
      { id: string; user_id: string; project_id: string | null; provider: ProviderKind; model: string; streamed: boolean; tags: string[]; created_at: Date; reserved: string | null; budget_ids: string[] | null }[]
    >(
      `select id, user_id, project_id, provider, model, streamed, tags, created_at, reserved::text, budget_ids from specs.usage_records
       where status = 'PENDING' and deadline_at < ? order by deadline_at limit ?`,
      [now.toISOString(), limit],
    );
    for (const row of rows) {
      await this.settle(row.id, {
        userId: row.user_id,
        projectId: row.project_id,
        provider: row.provider,
        model: row.model,
        inputTokens: null,
        outputTokens: null,
        cost: null,
        latencyMs: Math.max(0, Math.round(now.getTime() - new Date(row.created_at).getTime())),
        status: 'ABORTED',
        errorClass: 'PROCESS_DIED',
        streamed: row.streamed,
        attempts: 1,
        tags: row.tags,
        // The reservation the row holds goes back, charging nothing: what the provider billed is unknown.
        settlement:
          row.reserved !== null && row.budget_ids?.length
            ? { reservationId: row.id, onRow: true, budgetIds: row.budget_ids, reserved: row.reserved, charge: '0' }
            : null,
      });
    }
    return rows.length;
  }

  private async write(entry: UsageEntry, pendingId: string | null): Promise<SettledBudget[]> {
    const at = (entry.at ?? new Date()).toISOString();
    const settlement = entry.settlement ?? null;
    const measures: unknown[] = [
      entry.provider,
      entry.model.slice(0, 200),
      entry.inputTokens,
      entry.outputTokens,
      entry.cost,
      entry.latencyMs,
      entry.status,
      entry.errorClass?.slice(0, 40) ?? null,
      entry.streamed,
      entry.attempts,
      tagArray(entry.tags ?? []),
      entry.cached != null,
      entry.cached?.savedCost ?? null,
    ];
    const values: unknown[] = [pendingId ?? randomUUID(), at, entry.userId, entry.projectId, ...measures];
    if (settlement) values.push(...(settlement.onRow ? [] : [settlement.reservationId]), `{${settlement.budgetIds.join(',')}}`, at, settlement.charge, at);
    // The row alone (the rollups take it later, off the hot path: foldRollups; summaries add the rows not
    // folded yet, so they stay exact): a settlement through the group commit when there is one; a call
    // served from the cache paid nothing, so its row commits without waiting for the WAL flush, like a
    // PENDING row (only a PostgreSQL crash in the next few hundred milliseconds could lose it, and no spend).
    if (!settlement) {
      const row = pendingId ? SETTLE_ROW_SQL : INSERT_ROW_SQL;
      if (pendingId && this.batch && !this.em.isInTransaction()) await this.batch.settled.add({ sql: row, values });
      else await executeBound(this.em, entry.cached && !pendingId ? INSERT_ROW_ASYNC_SQL : row, values);
      return [];
    }
    const statement = { sql: BUDGETED_ROW_SQL[pendingId ? 'settle' : 'insert'][settlement.onRow ? 'onRow' : 'ownRow'], values, settlement };
    if (pendingId && this.batch && !this.em.isInTransaction()) return this.batch.budgeted.add(statement);
    return executeBound<SettledBudget>(this.em, statement.sql, statement.values);
  }
}

// The statements of one row, made once: the call's row inserted whole, or its PENDING row settled.
const INSERT_ROW_SQL = `insert into specs.usage_records (${columnNames(SETTLED_COLUMNS)}) values (${boundValues(SETTLED_COLUMNS)})`;
const SETTLE_ROW_SQL = `${INSERT_ROW_SQL} ${SETTLE_PENDING_ROW}`;
/** A call served from the cache paid nothing: its row commits without waiting for the WAL flush, like a PENDING row. */
const INSERT_ROW_ASYNC_SQL = `with r as (${INSERT_ROW_SQL} returning id) select set_config('synchronous_commit', 'off', true) from r`;

/**
 * A row's statement under budgets: with a reservation, the same statement releases it and charges the call
 * to its budgets, so the usage row and the budgets' spend commit together or not at all. A reservation the
 * sweeper already released (its process was presumed dead) releases nothing again, but the charge still
 * counts. One held on the PENDING row (`onRow`) is what the row's upsert returns when it settled that row
 * (the row keeps it as a record); nothing when the row was settled already, or inserted whole (PostgreSQL
 * lost the PENDING row, and the reservation with it: they committed together). Values after the row's:
 * the reservation's id (unless onRow), the budgets' ids, the time, the charge, the time.
 */
function budgetedRowSql(pending: boolean, onRow: boolean): string {
  const releasedAmount = onRow ? '(select reserved from r)' : '(select amount from released)';
  return `with r as (${pending ? SETTLE_ROW_SQL : INSERT_ROW_SQL} returning id, reserved),${onRow ? '' : `
       released as (delete from specs.budget_reservations where id = ? returning amount),`}
       ${LOCK_BUDGETS_IN_ORDER('?::uuid[]')},
       settled as (
         update specs.budgets b set
           spent = (case when b.period_start = ${PERIOD_START_SQL('b.period', '?::timestamptz')} then b.spent else 0 end) + ?::numeric,
           period_start = ${PERIOD_START_SQL('b.period', '?::timestamptz')},
           reserved = greatest(b.reserved - coalesce(${releasedAmount}, 0), 0),
           updated_at = now()
         from ordered o where b.id = o.id
         returning b.id, b.spent::text as spent, b.limit_amount::text as limit_amount, b.warn_at, b.warned_at, b.period_start
       )
     select * from settled`;
}
/** budgetedRowSql's four statements, by [whether a PENDING row is settled][whether the row holds the reservation]. */
const BUDGETED_ROW_SQL = {
  insert: { ownRow: budgetedRowSql(false, false), onRow: budgetedRowSql(false, true) },
  settle: { ownRow: budgetedRowSql(true, false), onRow: budgetedRowSql(true, true) },
};

/** A statement part that writes a call's PENDING row (see UsageWriter.open and BudgetLedger.reserve). */
export interface Opening {
  id: string;
  sql: string;
  values: unknown[];
}

/**
 * The insert of a call's PENDING row: on its own (`from` null), or as part of a budget reservation's
 * statement, selected `from` its verdict so that the row exists only when the call was admitted, holding
 * the reservation (`hold`).
 */
export function pendingInsert(entry: PendingEntry, from: string | null, hold: Hold | null = null): Opening {
  const id = randomUUID();
  return {
    id,
    sql: pendingInsertSql(from, hold !== null),
    values: [
      id, new Date().toISOString(), entry.userId, entry.projectId, entry.provider, entry.model.slice(0, 200), entry.streamed, tagArray(entry.tags), entry.deadlineAt.toISOString(),
      ...(hold ? [hold.amount, `{${hold.budgetIds.join(',')}}`] : []),
    ],
  };
}

/** pendingInsert's statement for each `from` and whether it holds a reservation, made once. */
const PENDING_INSERT_SQL = new Map<string, string>();
export function pendingInsertSql(from: string | null, holds: boolean): string {
  const key = `${holds ? 'held' : 'plain'} ${from ?? ''}`;
  const known = PENDING_INSERT_SQL.get(key);
  if (known) return known;
  const columns = `(${columnNames(PENDING_COLUMNS)}, ${PENDING_CONSTANTS.columns}${holds ? ', reserved, budget_ids' : ''})`;
  const row = `${boundValues(PENDING_COLUMNS)}, ${PENDING_CONSTANTS.values}${holds ? ', ?::numeric, ?::uuid[]' : ''}`;
  // On its own, the row is committed without waiting for the WAL flush (synchronous_commit off for this
  // one transaction): it guards against this process dying, not PostgreSQL; if PostgreSQL loses it in a
  // crash, the settle statement inserts the row whole (it is an upsert). Inside a reservation it commits
  // as the reservation does.
  const sql = from
    ? `insert into specs.usage_records ${columns} select ${row} from ${from}`
    : `insert into specs.usage_records ${columns} select ${row} from (select set_config('synchronous_commit', 'off', true)) as async_commit`;
  PENDING_INSERT_SQL.set(key, sql);
  return sql;
}

/** Tags as a PostgreSQL text[] literal (tags are validated: no quotes or commas). */
function tagArray(tags: readonly string[]): string {
  return `{${tags.map((tag) => `"${tag}"`).join(',')}}`;
}

/** One row of a shared statement: the statement it would go in alone, and its values in that statement's order. */
export interface LedgerRow {
  sql: string;
  values: unknown[];
}

/** A settlement under budgets: its row's statement alone, and the settlement its values end with. */
export interface BudgetedRow extends LedgerRow {
  settlement: Settlement;
}

/** The process's group commit of the call ledger (see row-batcher.ts): PENDING rows, and settlements with and without budgets. */
export interface LedgerBatch {
  pending: RowBatcher<LedgerRow>;
  settled: RowBatcher<LedgerRow>;
  /** Resolves with the budgets as the row's statement left them (for warnAt). */
  budgeted: RowBatcher<BudgetedRow, SettledBudget[]>;
}

/** The rows as one jsonb array of objects keyed by column name, for jsonb_to_recordset. */
function recordset(columns: readonly LedgerColumn[], rows: readonly LedgerRow[]): string {
  return JSON.stringify(rows.map(({ values }) => Object.fromEntries(columns.map(([name], index) => [name, values[index]]))));
}

/**
 * Group commit for the ledger's statements: PENDING rows (committed without waiting for the WAL flush, as
 * alone), their settlements (an upsert, durable), and settlements under budgets, several calls' rows per
 * statement under load. Under budgets one statement settles its rows, releases their reservations and
 * updates each budget once with the sums of its rows' charges and releases: calls under one budget (a
 * GLOBAL one holds every call) take its row lock once per statement and durable commit, not once per call.
 * `em`: any EntityManager outside a transaction (the ORM's own; only its pool is used).
 */
export function createLedgerBatch(em: EntityManager, onFlush?: (kind: 'pending' | 'settled' | 'budgeted', rows: number) => void): LedgerBatch {
  const one = async (row: LedgerRow): Promise<void> => void (await executeBound(em, row.sql, row.values));
  const none = (rows: readonly unknown[]): void[] => rows.map(() => undefined);
  const pendingSql = `insert into specs.usage_records (${columnNames(PENDING_COLUMNS)}, ${PENDING_CONSTANTS.columns})
    select ${recordValues(PENDING_COLUMNS)}, ${PENDING_CONSTANTS.values}
    from jsonb_to_recordset(?::jsonb) as r(${recordColumns(PENDING_COLUMNS)}),
         (select set_config('synchronous_commit', 'off', true)) as async_commit`;
  const settledSql = `insert into specs.usage_records (${columnNames(SETTLED_COLUMNS)})
    select ${recordValues(SETTLED_COLUMNS)} from jsonb_to_recordset(?::jsonb) as r(${recordColumns(SETTLED_COLUMNS)})
    ${SETTLE_PENDING_ROW}`;
  // The same as each row's own statement applied in the order of their times (`at`, the row's created_at
  // when it is inserted whole): a reservation the sweeper already released releases nothing again, but the
  // charge counts; a budget whose period turned between two rows keeps only the later period's charges.
  // Reservations held on rows are released from what the upsert returns for the PENDING rows it settled.
  const budgetedSql = `with w as (${settledSql} returning id, reserved, budget_ids),
    s as (select * from jsonb_to_recordset(?::jsonb) as s(reservation_id uuid, on_row boolean, budget_ids text, charge numeric, at timestamptz)),
    released as (
      delete from specs.budget_reservations where id in (select reservation_id from s where not on_row) returning budget_ids, amount
    ),
    releases as (
      select budget_id, sum(amount) as amount
      from (select budget_ids, amount from released
            union all select w.budget_ids, w.reserved from w join s on s.reservation_id = w.id and s.on_row where w.reserved is not null) as held,
           unnest(budget_ids) as budget_id
      group by budget_id
    ),
    charges as (
      select b.id as budget_id, s.charge, ${PERIOD_START_SQL('b.period', 's.at')} as start
      from s, unnest(s.budget_ids::uuid[]) as budget_id, specs.budgets b where b.id = budget_id
    ),
    latest as (select budget_id, max(start) as start from charges group by budget_id),
    per_budget as (
      select l.budget_id, l.start, coalesce(sum(c.charge) filter (where c.start = l.start), 0) as charge
      from latest l join charges c on c.budget_id = l.budget_id group by l.budget_id, l.start
    ),
    ${LOCK_BUDGETS_IN_ORDER('array(select budget_id from per_budget)')},
    settled as (
      update specs.budgets b set
        spent = (case when b.period_start = p.start then b.spent else 0 end) + p.charge,
        period_start = p.start,
        reserved = greatest(b.reserved - coalesce((select x.amount from releases x where x.budget_id = b.id), 0), 0),
        updated_at = now()
      from per_budget p, ordered o where b.id = p.budget_id and o.id = p.budget_id
      returning b.id, b.spent::text as spent, b.limit_amount::text as limit_amount, b.warn_at, b.warned_at, b.period_start
    )
    select * from settled`;
  const settlements = (rows: readonly BudgetedRow[]) =>
    JSON.stringify(
      rows.map(({ values, settlement }) => ({ reservation_id: settlement.reservationId, on_row: settlement.onRow, budget_ids: `{${settlement.budgetIds.join(',')}}`, charge: settlement.charge, at: values[1] })),
    );
  return {
    pending: new RowBatcher({
      one,
      many: async (rows) => none(await executeBound(em, pendingSql, [recordset(PENDING_COLUMNS, rows)])),
      onFlush: (rows) => onFlush?.('pending', rows),
    }),
    settled: new RowBatcher({
      one,
      many: async (rows) => none(await executeBound(em, settledSql, [recordset(SETTLED_COLUMNS, rows)])),
      onFlush: (rows) => onFlush?.('settled', rows),
    }),
    budgeted: new RowBatcher<BudgetedRow, SettledBudget[]>({
      one: (row) => executeBound<SettledBudget>(em, row.sql, row.values),
      many: async (rows) => {
        const budgets = await executeBound<SettledBudget>(em, budgetedSql, [recordset(SETTLED_COLUMNS, rows), settlements(rows)]);
        return rows.map(({ settlement }) => budgets.filter((budget) => settlement.budgetIds.includes(budget.id)));
      },
      onFlush: (rows) => onFlush?.('budgeted', rows),
    }),
  };
}
