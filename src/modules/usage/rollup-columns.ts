import { p } from '@mikro-orm/core';

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
