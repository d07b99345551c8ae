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
const MEASURES: Record<RangeSource, string> = {
  days: 'd.calls, d.input_tokens, d.output_tokens, d.cost, d.unknown_cost_calls',
  hours: 'h.calls, h.input_tokens, h.output_tokens, h.cost, h.unknown_cost_calls',
  raw: `1 as calls, coalesce(r.input_tokens, 0) as input_tokens, coalesce(r.output_tokens, 0) as output_tokens,
        coalesce(r.cost, 0) as cost, case when r.cost is null then 1 else 0 end as unknown_cost_calls`,
};

/** A raw row that is settled (not PENDING): what the rollups hold. */
const SETTLED = "r.status <> 'PENDING'";

/** The sources read between two instants, by the time column their rows are filed under. */
const BOUNDED = {
  hours: { alias: 'h', table: 'specs.usage_hourly', time: 'h.hour' },
  raw: { alias: 'r', table: 'specs.usage_records', time: 'r.created_at' },
} as const;

export function pieceQuery(piece: RangePiece, scope: UsageScope): PieceQuery {
  const where = new Where();
  if (piece.source === 'days') {
    // Everyone's usage, in any project: the per-model totals, a few rows per day (they have no user or project).
    const everyone = !scope.userIds && !scope.projectIds;
    scopeFilters(where, 'd', scope, !everyone);
    if (piece.from) where.add('d.day >= ?::date', isoDay(piece.from));
    if (piece.to) where.add('d.day < ?::date', isoDay(piece.to));
    return select('days', 'd', everyone ? 'specs.usage_daily_totals' : 'specs.usage_daily', where);
  }
  const { alias, table, time } = BOUNDED[piece.source];
  scopeFilters(where, alias, scope, true);
  // Calls in flight are not in the rollups yet: raw pieces leave them out too, so both agree.
  if (piece.source === 'raw') where.clauses.push(SETTLED);
  where.add(`${time} >= ?`, piece.from.toISOString());
  where.add(`${time} < ?`, piece.to.toISOString());
  return select(piece.source, alias, table, where);
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
  const where = new Where();
  const { alias, table } = TAG_SOURCES[piece.source];
  scopeFilters(where, alias, scope, true);
  if (piece.source === 'days') {
    if (piece.from) where.add('d.day >= ?::date', isoDay(piece.from));
    if (piece.to) where.add('d.day < ?::date', isoDay(piece.to));
  } else {
    if (piece.source === 'raw') where.clauses.push(SETTLED);
    const time = piece.source === 'hours' ? 'h.hour' : 'r.created_at';
    where.add(`${time} >= ?`, piece.from.toISOString());
    where.add(`${time} < ?`, piece.to.toISOString());
  }
  const from = piece.source === 'raw' ? table : `${table} ${alias}`;
  const tag = piece.source === 'raw' ? 'tag' : `${alias}.tag`;
  return { sql: `select ${tag} as tag, ${MEASURES[piece.source]} from ${from} ${where.sql()}`, values: where.values };
}
