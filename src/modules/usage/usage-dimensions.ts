// The dimensions a usage summary is bucketed by, declared once. The grouping sets, the select list (a named
// flag per dimension), the row type, the summary's bucket lists, the pieces' select lists and the GraphQL
// fields all derive from USAGE_DIMENSIONS: adding a dimension is one entry here.
import type { RangeSource } from './usage-range.ts';

export interface UsageDimension {
  /** The column summed relations carry it in (GROUP BY on it), and its key column in summary rows. */
  readonly name: string;
  /** The summary's list of buckets for it. */
  readonly bucket: string;
  /** SQL giving a bucket's key as text, over the summed relation; the column itself by default. */
  readonly key?: string;
  /**
   * SQL reading it in each range source, where the column of the same name does not (sources are aliased
   * `d` for days, `h` for hours and `r` for raw rows; see usage-sources.ts).
   */
  readonly read?: Partial<Record<RangeSource, string>>;
}

/** Provider, model and UTC day, in the order of the summary's bucket lists. */
const DECLARED = [
  { name: 'provider', bucket: 'byProvider' },
  { name: 'model', bucket: 'byModel' },
  {
    name: 'day',
    bucket: 'byDay',
    key: "to_char(day, 'YYYY-MM-DD')",
    read: { hours: "(h.hour at time zone 'UTC')::date", raw: "(r.created_at at time zone 'UTC')::date" },
  },
] as const satisfies readonly UsageDimension[];

type DimensionName = (typeof DECLARED)[number]['name'];
type BucketName = (typeof DECLARED)[number]['bucket'];

interface Dimension extends UsageDimension {
  readonly name: DimensionName;
  readonly bucket: BucketName;
}

/** The declared list, typed so that each entry's optional parts can be read without narrowing. */
export const USAGE_DIMENSIONS: readonly Dimension[] = DECLARED;

export interface UsageBucket {
  key: string;
  calls: number;
  tokens: number;
  cost: string;
}

export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  totalCost: string;
  unknownCostCalls: number;
}

/** Totals, and one list of buckets per dimension (byProvider, byModel, byDay), each sorted by key. */
export type UsageSummary = UsageTotals & { [B in BucketName]: UsageBucket[] };

/** A dimension's row flag, true on its bucket rows (where `grouping(column)` is 0: grouped by it). */
const flagOf = <N extends DimensionName>(name: N): `by_${N}` => `by_${name}`;

/** The sums every summary row carries, as text: bigint and numeric sums exceed what a JS number holds exactly. */
interface MeasureRow {
  calls: string;
  input_tokens: string;
  output_tokens: string;
  cost: string;
  unknown_cost_calls: string;
}

/** A row of a summary query: the totals row has every flag false, a bucket row its dimension's flag true. */
export type SummaryRow = MeasureRow & { [N in DimensionName]: string | null } & { [N in DimensionName as `by_${N}`]: boolean };

/** The sums, coalesced: the empty grouping set yields a row (of NULL sums) even over no rows at all. */
const MEASURES = `coalesce(sum(calls), 0)::text as calls,
  coalesce(sum(input_tokens), 0)::text as input_tokens,
  coalesce(sum(output_tokens), 0)::text as output_tokens,
  coalesce(sum(cost), 0)::numeric(24, 8)::text as cost,
  coalesce(sum(unknown_cost_calls), 0)::text as unknown_cost_calls`;

/**
 * The select list and GROUP BY of a summary over a relation carrying the dimensions' columns and the
 * measures: per value of `keys` (none: one summary), a totals row and one row per bucket of each dimension.
 */
export function summaryAggregate(keys: readonly string[] = []): { select: string; groupBy: string } {
  const flags = USAGE_DIMENSIONS.map(({ name }) => `grouping(${name}) = 0 as ${flagOf(name)}`);
  const dimensions = USAGE_DIMENSIONS.map(({ name, key }) => named(key ?? name, name));
  const sets = [keys, ...USAGE_DIMENSIONS.map(({ name }) => [...keys, name])].map((set) => `(${set.join(', ')})`);
  return { select: [...keys, ...flags, ...dimensions, MEASURES].join(', '), groupBy: `grouping sets (${sets.join(', ')})` };
}

/** The dimensions' columns of a piece read from `source`, named as summaryAggregate expects. */
export function dimensionColumns(source: RangeSource, alias: string): string {
  return USAGE_DIMENSIONS.map(({ name, read }) => named(read?.[source] ?? `${alias}.${name}`, name)).join(', ');
}

/** `sql as name`, or `sql` alone where it is the column `name` already (a plain or qualified reference). */
const named = (sql: string, name: string) => (sql === name || sql.endsWith(`.${name}`) ? sql : `${sql} as ${name}`);

export function emptySummary(): UsageSummary {
  const buckets = Object.fromEntries(USAGE_DIMENSIONS.map(({ bucket }): [BucketName, UsageBucket[]] => [bucket, []])) as Record<BucketName, UsageBucket[]>;
  return { calls: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0, totalCost: '0.00000000', unknownCostCalls: 0, ...buckets };
}

const byKey = (a: UsageBucket, b: UsageBucket) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Assembles one summary from its rows (the totals row, and the bucket rows of every dimension). */
export function toSummary(rows: readonly SummaryRow[]): UsageSummary {
  const summary = emptySummary();
  for (const row of rows) {
    const dimension = USAGE_DIMENSIONS.find(({ name }) => row[flagOf(name)]);
    if (!dimension) {
      summary.calls = Number(row.calls);
      summary.inputTokens = Number(row.input_tokens);
      summary.outputTokens = Number(row.output_tokens);
      summary.totalTokens = summary.inputTokens + summary.outputTokens;
      summary.totalCost = row.cost;
      summary.unknownCostCalls = Number(row.unknown_cost_calls);
      continue;
    }
    const key = row[dimension.name];
    if (key !== null) summary[dimension.bucket].push({ key, calls: Number(row.calls), tokens: Number(row.input_tokens) + Number(row.output_tokens), cost: row.cost });
  }
  // Sorted here rather than in SQL: a few hundred buckets sort faster in JS than behind the aggregate.
  for (const { bucket } of USAGE_DIMENSIONS) summary[bucket].sort(byKey);
  return summary;
}
