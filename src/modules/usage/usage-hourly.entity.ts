import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { PROVIDER_KINDS } from '../providers/provider-kinds.ts';
import { rollupMeasures } from './rollup-measures.ts';

/**
 * The hourly rollup of usage_records, kept like the daily one (same statement as each insert). Summaries
 * read it for the partial days at either end of a time range, so only the partial hours come from raw rows.
 */
export const UsageHourlySchema = defineEntity({
  name: 'UsageHourly',
  tableName: 'usage_hourly',
  schema: 'specs',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    /** The UTC hour the calls started in. */
    hour: p.datetime(),
    userId: p.uuid(),
    projectId: p.uuid().nullable(),
    provider: p.enum(PROVIDER_KINDS),
    model: p.string().length(200),
    ...rollupMeasures(),
  },
  uniques: [
    {
      name: 'usage_hourly_bucket',
      expression:
        'create unique index "usage_hourly_bucket" on "specs"."usage_hourly" ("hour", "user_id", "project_id", "provider", "model") nulls not distinct',
    },
  ],
  indexes: [{ properties: ['userId', 'hour'] }, { properties: ['projectId', 'hour'] }],
});

export type UsageHourly = InferEntity<typeof UsageHourlySchema>;
