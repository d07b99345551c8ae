import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { rollupMeasures, userBucket, userBucketUnique } from './rollup-columns.ts';

/**
 * The hourly rollup of usage_records, kept like the daily one (same statement as each insert). Summaries
 * read it for the partial days at either end of a time range, so only the partial hours come from raw rows.
 */
export const UsageHourlySchema = defineEntity({
  name: 'UsageHourly',
  tableName: 'usage_hourly',
  schema: 'specs',
  properties: {
    ...userBucket(),
    /** The UTC hour the calls started in. */
    hour: p.datetime(),
    ...rollupMeasures(),
  },
  uniques: [userBucketUnique('usage_hourly', 'hour')],
  indexes: [{ properties: ['userId', 'hour'] }, { properties: ['projectId', 'hour'] }],
});

export type UsageHourly = InferEntity<typeof UsageHourlySchema>;
