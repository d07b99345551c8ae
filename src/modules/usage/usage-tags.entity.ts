import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { rollupMeasures, userBucket, userBucketUnique } from './rollup-columns.ts';

// The rollups of tagged calls: one bucket per tag a call carries (a call with two tags counts in both, so
// tag buckets do not add up to the totals), kept by the usage row's own statement like the other rollups.

export const UsageDailyTagSchema = defineEntity({
  name: 'UsageDailyTag',
  tableName: 'usage_daily_tags',
  schema: 'specs',
  properties: {
    ...userBucket(),
    day: p.date(),
    tag: p.string().length(64),
    ...rollupMeasures(),
  },
  uniques: [userBucketUnique('usage_daily_tags', 'day', ['tag'])],
  indexes: [{ properties: ['userId', 'day'] }, { properties: ['projectId', 'day'] }, { properties: ['day'] }],
});

export const UsageHourlyTagSchema = defineEntity({
  name: 'UsageHourlyTag',
  tableName: 'usage_hourly_tags',
  schema: 'specs',
  properties: {
    ...userBucket(),
    hour: p.datetime(),
    tag: p.string().length(64),
    ...rollupMeasures(),
  },
  uniques: [userBucketUnique('usage_hourly_tags', 'hour', ['tag'])],
  indexes: [{ properties: ['userId', 'hour'] }, { properties: ['projectId', 'hour'] }],
});

export type UsageDailyTag = InferEntity<typeof UsageDailyTagSchema>;
export type UsageHourlyTag = InferEntity<typeof UsageHourlyTagSchema>;
