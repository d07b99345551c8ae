import { p } from '@mikro-orm/core';
import { PROVIDER_KINDS } from '../../llm/provider-kinds.ts';

/**
 * What every usage rollup sums per bucket: calls, the tokens and cost that were known (unknown ones count
 * as 0) and how many calls had no known cost. Kept exact: integers and numeric, never floats.
 */
export function rollupMeasures() {
  return {
    calls: p.bigint('number').default(0),
    inputTokens: p.bigint('number').default(0),
    outputTokens: p.bigint('number').default(0),
    cost: p.decimal('string').precision(24).scale(8).default('0'),
    unknownCostCalls: p.bigint('number').default(0),
  };
}

/** The per-user rollups' bucket: a time column of their own (day or hour), then who, where and what. */
export function userBucket() {
  return {
    id: p.bigint('number').primary().autoincrement(),
    userId: p.uuid(),
    projectId: p.uuid().nullable(),
    provider: p.enum(PROVIDER_KINDS),
    model: p.string().length(200),
  };
}

/** One row per bucket; a NULL project is a bucket of its own. Tag rollups add the tag to the bucket. */
export function userBucketUnique(table: string, timeColumn: string, extra: readonly string[] = []) {
  const name = `${table}_bucket`;
  const columns = [timeColumn, 'user_id', 'project_id', 'provider', 'model', ...extra].map((column) => `"${column}"`).join(', ');
  return { name, expression: `create unique index "${name}" on "specs"."${table}" (${columns}) nulls not distinct` };
}
