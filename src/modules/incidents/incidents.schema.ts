import { builder } from '../../graphql/builder.ts';
import { decodeCursor, pageSize, toConnection } from '../../graphql/keyset.ts';
import { UserRef } from '../auth/auth.schema.ts';
import { ProviderKindEnum } from '../providers/providers.schema.ts';
import { AnalysisRunRef } from '../analysis/analysis.schema.ts';
import { type Incident, INCIDENT_STATUSES, SEVERITIES } from './incident.entity.ts';
import type { Recommendation } from './recommendation.entity.ts';

const SeverityEnum = builder.enumType('IncidentSeverity', { values: SEVERITIES });
const StatusEnum = builder.enumType('IncidentStatus', { values: INCIDENT_STATUSES });

const RecommendationRef = builder.objectRef<Recommendation>('Recommendation').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.exposeString('type', { description: 'MEMORY, DISK, CPU, NETWORK, LATENCY, ERRORS, DATABASE, CERTIFICATE, DEPLOYMENT, SECURITY or GENERAL.' }),
    title: t.exposeString('title'),
    description: t.exposeString('description'),
    priority: t.field({ type: SeverityEnum, resolve: (recommendation) => recommendation.priority }),
    confidence: t.float({ description: '0 to 1.', resolve: (recommendation) => Number(recommendation.confidence) }),
    actions: t.stringList({ description: 'Ordered steps.', resolve: (recommendation) => recommendation.actions }),
    provider: t.field({ type: ProviderKindEnum, resolve: (recommendation) => recommendation.provider }),
    model: t.exposeString('model'),
    isFallback: t.exposeBoolean('isFallback', { description: 'True when the AI answer could not be used; the description says why.' }),
    runId: t.id({ nullable: true, resolve: (recommendation) => recommendation.run?.id ?? null }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const IncidentRef = builder.objectRef<Incident>('Incident').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    description: t.exposeString('description'),
    severity: t.field({ type: SeverityEnum, resolve: (incident) => incident.severity }),
    status: t.field({ type: StatusEnum, resolve: (incident) => incident.status }),
    service: t.string({ nullable: true, resolve: (incident) => incident.service ?? null }),
    source: t.string({ nullable: true, resolve: (incident) => incident.source ?? null }),
    alerts: t.field({ type: 'JSON', nullable: true, resolve: (incident) => incident.alerts ?? null }),
    owner: t.field({ type: UserRef, resolve: async (incident, _args, { em }) => em.populate(incident, ['owner']).then(() => incident.owner) }),
    recommendations: t.field({
      type: [RecommendationRef],
      description: 'Newest analysis first, each in the order the analysis gave them.',
      resolve: (incident, _args, { loaders }) => loaders.recommendationsByIncident.load(incident.id),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const incidentFields = (name: string, required: boolean) =>
  builder.inputType(name, {
    fields: (t) => ({
      title: t.string({ required }),
      description: t.string(),
      severity: t.field({ type: SeverityEnum }),
      status: t.field({ type: StatusEnum }),
      service: t.string(),
      source: t.string(),
      alerts: t.field({ type: 'JSON', description: 'The alerts and metrics that came with the incident (at most 1 MB).' }),
    }),
  });
const CreateIncidentInput = incidentFields('CreateIncidentInput', true);
const UpdateIncidentInput = incidentFields('UpdateIncidentInput', false);

builder.objectField(AnalysisRunRef, 'incident', (t) =>
  t.field({
    type: IncidentRef,
    nullable: true,
    resolve: async (run, _args, { em }) => (run.incident ? em.populate(run, ['incident']).then(() => run.incident ?? null) : null),
  }),
);

builder.queryFields((t) => ({
  incidents: t.withAuth({ signedIn: true }).connection({
    type: IncidentRef,
    description: 'Newest first: the viewer\u2019s incidents (everyone\u2019s for admins).',
    args: { status: t.arg({ type: StatusEnum }), severity: t.arg({ type: SeverityEnum }) },
    resolve: async (_root, { first, after, status, severity }, { services, viewer }) => {
      const limit = pageSize(first);
      const rows = await services.incidents.list(viewer, { status, severity }, limit + 1, decodeCursor(after));
      return toConnection(rows, limit, after);
    },
  }),
  incident: t.withAuth({ signedIn: true }).field({
    type: IncidentRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, viewer }) => services.incidents.get(viewer, id),
  }),
}));

builder.mutationFields((t) => ({
  createIncident: t.withAuth({ signedIn: true }).field({
    type: IncidentRef,
    args: { input: t.arg({ type: CreateIncidentInput, required: true }) },
    resolve: (_root, { input }, { services, viewer }) => services.incidents.create(viewer.id, input),
  }),
  updateIncident: t.withAuth({ signedIn: true }).field({
    type: IncidentRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateIncidentInput, required: true }) },
    resolve: (_root, { id, input }, { services, viewer }) => services.incidents.update(viewer, id, input),
  }),
  analyzeIncident: t.withAuth({ signedIn: true }).field({
    type: AnalysisRunRef,
    description: 'Starts an analysis run and returns it at once; follow it with analysisProgress.',
    args: { incidentId: t.arg.id({ required: true }), provider: t.arg({ type: ProviderKindEnum }) },
    resolve: async (_root, { incidentId, provider }, { services, viewer }) => {
      const incident = await services.incidents.get(viewer, incidentId);
      return services.analysis.start(viewer.id, { kind: 'INCIDENT_ANALYSIS', provider, input: { provider: provider ?? null }, incidentId: incident.id });
    },
  }),
}));
