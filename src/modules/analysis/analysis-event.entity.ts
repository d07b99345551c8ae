import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AnalysisRunSchema, RUN_STATUSES } from './analysis-run.entity.ts';

/** One step of a run's progress, numbered 1, 2, 3, ... per run with no gap. Never updated. */
export const AnalysisEventSchema = defineEntity({
  name: 'AnalysisEvent',
  tableName: 'analysis_events',
  schema: 'specs',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    run: () => p.manyToOne(AnalysisRunSchema).deleteRule('cascade'),
    seq: p.integer(),
    stage: p.string().length(60),
    message: p.text(),
    progress: p.double(),
    status: p.enum(RUN_STATUSES),
    /** Model text as it streamed, for the stage that calls the provider. */
    delta: p.text().nullable(),
    at: p.datetime(),
  },
  uniques: [{ properties: ['run', 'seq'] }],
});

export type AnalysisEvent = InferEntity<typeof AnalysisEventSchema>;
