import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { PROVIDER_KINDS } from '../../llm/provider-kinds.ts';
import { rollupMeasures } from './rollup-columns.ts';

/**
 * Every user's usage per (day, provider, model), kept by the same statement as each insert: an admin's
 * summary of everyone reads a few rows per day, however many users and projects there are. Every call of
 * a day and model updates the same row, so calls of one model queue briefly on its row lock at commit.
 */
export const UsageDailyTotalSchema = defineEntity({
  name: 'UsageDailyTotal',
  tableName: 'usage_daily_totals',
  schema: 'specs',
  properties: {
    day: p.date().primary(),
    provider: p.enum(PROVIDER_KINDS).primary(),
    model: p.string().length(200).primary(),
    ...rollupMeasures(),
  },
});

export type UsageDailyTotal = InferEntity<typeof UsageDailyTotalSchema>;
