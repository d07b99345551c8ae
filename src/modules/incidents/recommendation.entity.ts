import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { AnalysisRunSchema } from '../analysis/analysis-run.entity.ts';
import { PROVIDER_KINDS } from '../../llm/provider-kinds.ts';
import { IncidentSchema, SEVERITIES } from './incident.entity.ts';

export const RecommendationSchema = defineEntity({
  name: 'Recommendation',
  tableName: 'recommendations',
  schema: 'specs',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    createdAt: p.datetime().onCreate(() => new Date()),
    incident: () => p.manyToOne(IncidentSchema).deleteRule('cascade').index(),
    run: () => p.manyToOne(AnalysisRunSchema).deleteRule('set null').nullable().index(),
    /** MEMORY, DISK, CPU, NETWORK, LATENCY, ERRORS, DATABASE, CERTIFICATE, DEPLOYMENT, SECURITY or GENERAL. */
    type: p.string().length(40),
    title: p.string().length(300),
    description: p.text(),
    priority: p.enum(SEVERITIES),
    confidence: p.double(),
    actions: p.json<string[]>(),
    provider: p.enum(PROVIDER_KINDS),
    model: p.string().length(200),
    isFallback: p.boolean().default(false),
    /** Order within the run's answer. */
    position: p.integer().default(0),
  },
});

export type Recommendation = InferEntity<typeof RecommendationSchema>;
