import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { PROVIDER_KINDS } from '../providers/provider-kinds.ts';
import { rollupMeasures } from './rollup-measures.ts';

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
    id: p.bigint('number').primary().autoincrement(),
    day: p.date(),
    userId: p.uuid(),
    projectId: p.uuid().nullable(),
    provider: p.enum(PROVIDER_KINDS),
    model: p.string().length(200),
    ...rollupMeasures(),
  },
  // One bucket per (day, user, project, provider, model); a NULL project is a bucket of its own.
  uniques: [
    {
      name: 'usage_daily_bucket',
      expression:
        'create unique index "usage_daily_bucket" on "specs"."usage_daily" ("day", "user_id", "project_id", "provider", "model") nulls not distinct',
    },
  ],
  indexes: [{ properties: ['userId', 'day'] }, { properties: ['day'] }, { properties: ['projectId', 'day'] }],
});

export type UsageDaily = InferEntity<typeof UsageDailySchema>;
