import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';
import { UserSchema } from '../auth/user.entity.ts';
import { IncidentSchema } from '../incidents/incident.entity.ts';
import { PROVIDER_KINDS } from '../../llm/provider-kinds.ts';

export const RUN_KINDS = ['INCIDENT_ANALYSIS', 'REPOSITORY_ANALYSIS', 'REPOSITORY_IMPORT'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export const AnalysisRunSchema = defineEntity({
  name: 'AnalysisRun',
  tableName: 'analysis_runs',
  schema: 'specs',
  properties: {
    ...baseProperties(),
    owner: () => p.manyToOne(UserSchema).deleteRule('cascade'),
    kind: p.enum(RUN_KINDS),
    status: p.enum(RUN_STATUSES).default('QUEUED'),
    progress: p.double().default(0),
    stage: p.string().length(60).default('queued'),
    /** The provider asked for (null: routed), then the one that served. */
    provider: p.enum(PROVIDER_KINDS).nullable(),
    model: p.string().length(200).nullable(),
    error: p.text().nullable(),
    /** What the run was asked to do (provider, repository URL, ...). */
    input: p.json<Record<string, unknown>>(),
    result: p.json<unknown>().nullable(),
    incident: () => p.manyToOne(IncidentSchema).deleteRule('cascade').nullable().index(),
    projectId: p.uuid().nullable().index(),
    /** The last event's sequence number: events take last_seq + 1 in their own insert's transaction. */
    lastSeq: p.integer().default(0),
    attempts: p.integer().default(0),
    jobId: p.string().length(64).nullable(),
    cancelRequestedAt: p.datetime().nullable(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
  },
  indexes: [{ properties: ['owner', 'createdAt'] }],
});

export type AnalysisRun = InferEntity<typeof AnalysisRunSchema>;
