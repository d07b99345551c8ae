import { abortableSource } from '../../events/abortable.ts';
import { builder } from '../../graphql/builder.ts';
import type { AnalysisEventMessage } from '../../events/pubsub.ts';
import { ProviderKindEnum } from '../providers/providers.schema.ts';
import { type AnalysisRun, RUN_KINDS, RUN_STATUSES } from './analysis-run.entity.ts';

const RunStatusEnum = builder.enumType('RunStatus', { values: RUN_STATUSES });
const RunKindEnum = builder.enumType('RunKind', { values: RUN_KINDS });

// Resolved from the event alone, never the context: followers of a run share one execution per event
// (graphql/shared-events.ts), so a field that read the viewer would leak one follower's answer to others.
const AnalysisEventRef = builder.objectRef<AnalysisEventMessage>('AnalysisEvent').implement({
  description: 'One step of a run. `seq` counts 1, 2, 3, ... per run with no gap.',
  fields: (t) => ({
    runId: t.exposeID('runId'),
    seq: t.exposeInt('seq'),
    stage: t.exposeString('stage'),
    message: t.exposeString('message'),
    progress: t.exposeFloat('progress'),
    status: t.field({ type: RunStatusEnum, resolve: (event) => event.status as AnalysisRun['status'] }),
    delta: t.string({ nullable: true, description: 'Model text as it streamed.', resolve: (event) => event.delta }),
    at: t.field({ type: 'DateTime', resolve: (event) => event.at }),
  }),
});

export const AnalysisRunRef = builder.objectRef<AnalysisRun>('AnalysisRun');

AnalysisRunRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: RunKindEnum, resolve: (run) => run.kind }),
    status: t.field({ type: RunStatusEnum, resolve: (run) => run.status }),
    progress: t.float({ description: '0 to 1.', resolve: (run) => Number(run.progress) }),
    stage: t.exposeString('stage'),
    provider: t.field({ type: ProviderKindEnum, nullable: true, resolve: (run) => run.provider ?? null }),
    model: t.string({ nullable: true, resolve: (run) => run.model ?? null }),
    error: t.string({ nullable: true, resolve: (run) => run.error ?? null }),
    attempts: t.exposeInt('attempts'),
    events: t.field({
      type: [AnalysisEventRef],
      args: { afterSeq: t.arg.int({ defaultValue: 0 }) },
      resolve: (run, { afterSeq }, { services }) => services.analysis.events(run.id, afterSeq ?? 0),
    }),
    result: t.field({ type: 'JSON', nullable: true, resolve: (run) => run.result ?? null }),
    projectId: t.id({ nullable: true, resolve: (run) => run.projectId ?? null }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryField('analysisRun', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: AnalysisRunRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, viewer }) => services.analysis.get(viewer, id),
  }),
);

builder.mutationField('cancelAnalysisRun', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: AnalysisRunRef,
    description: 'Stops a queued or running run (aborting its provider call); a finished run is returned unchanged.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, viewer }) => services.analysis.cancel(viewer, id),
  }),
);

builder.subscriptionField('analysisProgress', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: AnalysisEventRef,
    description: 'Replays the stored events after afterSeq (default: from the first), then streams live ones; completes after the terminal one.',
    args: { runId: t.arg.id({ required: true }), afterSeq: t.arg.int() },
    subscribe: (_root, { runId, afterSeq }, { services, viewer, request }) =>
      abortableSource((signal) => services.analysis.progress(viewer, runId, afterSeq, signal), request?.signal),
    resolve: (event) => event,
  }),
);
