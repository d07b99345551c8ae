import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { rollupMeasures, userBucket, userBucketUnique } from './rollup-columns.ts';

/**
 * The daily rollup of usage_records, kept exact by the same transaction that inserts each record, so
 * summaries read a few rows per day instead of every call. Token and cost sums skip unknown (NULL) values;
 * `unknown_cost_calls` counts the calls whose cost could not be known.
 */
export const UsageDailySchema = defineEntity({
  name: 'UsageDaily',
  tableName: 'usage_daily',
  schema: 'specs',
  properties: {
    ...userBucket(),
    day: p.date(),
    ...rollupMeasures(),
  },
  uniques: [userBucketUnique('usage_daily', 'day')],
  indexes: [{ properties: ['userId', 'day'] }, { properties: ['day'] }, { properties: ['projectId', 'day'] }],
});

export type UsageDaily = InferEntity<typeof UsageDailySchema>;
