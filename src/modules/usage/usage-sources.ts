// The SQL reading one planned piece of a range for a scope: the rows a summary sums, each carrying the
// dimensions' columns and the measures, whichever table they come from (a rollup bucket or one raw call).
import { dimensionColumns } from './usage-dimensions.ts';
import type { RangePiece, RangeSource } from './usage-range.ts';
import type { UsageScope } from './usage-scope.ts';

/** A select and its values, in placeholder order: pieces are joined with `union all` in one statement. */
export interface PieceQuery {
  sql: string;
  values: unknown[];
}

/** A rollup row is a bucket of calls with its sums; a raw row is one call, its unknown tokens and cost as 0. */
export const MEASURES: Record<RangeSource, string> = {
  days: 'd.calls, d.input_tokens, d.output_tokens, d.cost, d.unknown_cost_calls',
  hours: 'h.calls, h.input_tokens, h.output_tokens, h.cost, h.unknown_cost_calls',
  raw: `1 as calls, coalesce(r.input_tokens, 0) as input_tokens, coalesce(r.output_tokens, 0) as output_tokens,
        coalesce(r.cost, 0) as cost, case when r.cost is null then 1 else 0 end as unknown_cost_calls`,
};

/** A raw row that is settled (not PENDING): what the rollups hold, or will once folded. */
const SETTLED = "r.status <> 'PENDING'";
/** A raw row the rollups do not hold yet (see UsageWriter.foldRollups). */
const UNFOLDED = 'not r.folded';
/** A raw row to read beside the rollups: settled, and not folded into them yet. */
export const SETTLED_UNFOLDED = `${SETTLED} and ${UNFOLDED}`;

/** The sources read between two instants, by the time column their rows are filed under. */
const BOUNDED = {
  hours: { alias: 'h', table: 'specs.usage_hourly', time: 'h.hour' },
  raw: { alias: 'r', table: 'specs.usage_records', time: 'r.created_at' },
} as const;

export function pieceQuery(piece: RangePiece, scope: UsageScope): PieceQuery {
  if (piece.source === 'raw') return rawPiece(piece.from, piece.to, scope, false);
  // A rollup holds the calls folded into it; those settled since (not folded yet) are read raw beside it.
  return unionAll(rollupPiece(piece, scope), rawPiece(piece.from, piece.to, scope, true));
}

function rollupPiece(piece: Exclude<RangePiece, { source: 'raw' }>, scope: UsageScope): PieceQuery {
  const where = new Where();
  if (piece.source === 'days') {
    // Everyone's usage, in any project: the per-model totals, a few rows per day (they have no user or project).
    const everyone = !scope.userIds && !scope.projectIds;
    scopeFilters(where, 'd', scope, !everyone);
    if (piece.from) where.add('d.day >= ?::date', isoDay(piece.from));
    if (piece.to) where.add('d.day < ?::date', isoDay(piece.to));
    return select('days', 'd', everyone ? 'specs.usage_daily_totals' : 'specs.usage_daily', where);
  }
  const { alias, table, time } = BOUNDED.hours;
  scopeFilters(where, alias, scope, true);
  where.add(`${time} >= ?`, piece.from.toISOString());
  where.add(`${time} < ?`, piece.to.toISOString());
  return select('hours', alias, table, where);
}

/** Raw calls in [from, to) (an open end: unbounded): settled ones, or only those not folded into the rollups yet. */
function rawPiece(from: Date | null, to: Date | null, scope: UsageScope, unfoldedOnly: boolean): PieceQuery {
  const where = new Where();
  const { alias, table, time } = BOUNDED.raw;
  scopeFilters(where, alias, scope, true);
  // Calls in flight are in no rollup yet: raw pieces leave them out too, so both agree.
  where.clauses.push(SETTLED);
  if (unfoldedOnly) where.clauses.push(UNFOLDED);
  if (from) where.add(`${time} >= ?`, from.toISOString());
  if (to) where.add(`${time} < ?`, to.toISOString());
  return select('raw', alias, table, where);
}

function unionAll(...queries: PieceQuery[]): PieceQuery {
  return { sql: queries.map((query) => query.sql).join(' union all '), values: queries.flatMap((query) => query.values) };
}

function select(source: RangeSource, alias: string, table: string, where: Where): PieceQuery {
  return { sql: `select ${dimensionColumns(source, alias)}, ${MEASURES[source]} from ${table} ${alias} ${where.sql()}`, values: where.values };
}

/** The scope's who (user, project: only where the table has them) and what (provider, model). */
function scopeFilters(where: Where, alias: string, scope: UsageScope, byWho: boolean): void {
  if (byWho && scope.userIds) where.add(`${alias}.user_id in (?)`, scope.userIds);
  if (byWho && scope.projectIds) where.add(`${alias}.project_id in (?)`, scope.projectIds);
  if (scope.provider) where.add(`${alias}.provider = ?`, scope.provider);
  if (scope.model) where.add(`${alias}.model = ?`, scope.model);
}

/** Clauses and their values side by side, so that placeholders and values cannot drift apart. */
class Where {
  readonly clauses: string[] = [];
  readonly values: unknown[] = [];

  add(clause: string, value: unknown): void {
    this.clauses.push(clause);
    this.values.push(value);
  }

  sql(): string {
    return this.clauses.length ? `where ${this.clauses.join(' and ')}` : '';
  }
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The tag rollups (a bucket per tag a call carries), and raw rows with one row per tag. */
const TAG_SOURCES = {
  days: { alias: 'd', table: 'specs.usage_daily_tags' },
  hours: { alias: 'h', table: 'specs.usage_hourly_tags' },
  raw: { alias: 'r', table: 'specs.usage_records r, unnest(r.tags) as tag' },
} as const;

/** One planned piece of a range, read per tag: `tag` and the measures. */
export function tagPieceQuery(piece: RangePiece, scope: UsageScope): PieceQuery {
  if (piece.source === 'raw') return rawTagPiece(piece.from, piece.to, scope, false);
  return unionAll(rollupTagPiece(piece, scope), rawTagPiece(piece.from, piece.to, scope, true));
}

function rollupTagPiece(piece: Exclude<RangePiece, { source: 'raw' }>, scope: UsageScope): PieceQuery {
  const where = new Where();
  const { alias, table } = TAG_SOURCES[piece.source];
  scopeFilters(where, alias, scope, true);
  if (piece.source === 'days') {
    if (piece.from) where.add('d.day >= ?::date', isoDay(piece.from));
    if (piece.to) where.add('d.day < ?::date', isoDay(piece.to));
  } else {
    where.add('h.hour >= ?', piece.from.toISOString());
    where.add('h.hour < ?', piece.to.toISOString());
  }
  return { sql: `select ${alias}.tag as tag, ${MEASURES[piece.source]} from ${table} ${alias} ${where.sql()}`, values: where.values };
}

function rawTagPiece(from: Date | null, to: Date | null, scope: UsageScope, unfoldedOnly: boolean): PieceQuery {
  const where = new Where();
  scopeFilters(where, 'r', scope, true);
  where.clauses.push(SETTLED);
  if (unfoldedOnly) where.clauses.push(UNFOLDED);
  if (from) where.add('r.created_at >= ?', from.toISOString());
  if (to) where.add('r.created_at < ?', to.toISOString());
  return { sql: `select tag, ${MEASURES.raw} from ${TAG_SOURCES.raw.table} ${where.sql()}`, values: where.values };
}
