import { builder } from '../../graphql/builder.ts';
import { decodeCursor, pageSize, toConnection } from '../../graphql/keyset.ts';
import { ProviderKindEnum } from '../providers/providers.schema.ts';
import { USAGE_DIMENSIONS } from './usage-dimensions.ts';
import type { UsageRecord } from './usage-record.entity.ts';
import { type UsageBucket, type UsageScope, type UsageSummary, usageScope } from './usage.service.ts';

const UsageBucketRef = builder.objectRef<UsageBucket>('UsageBucket').implement({
  fields: (t) => ({
    key: t.exposeString('key', { description: 'A ProviderKind (OPENAI), a model id, a UTC day (YYYY-MM-DD), or a tag.' }),
    calls: t.exposeInt('calls'),
    tokens: t.expose('tokens', { type: 'SafeInt' }),
    cost: t.expose('cost', { type: 'Decimal' }),
  }),
});

/** A summary with the scope it sums, so that tag buckets (a query of their own) are read only when asked. */
export type ScopedSummary = UsageSummary & { scope: UsageScope | null };

export const UsageSummaryRef = builder.objectRef<ScopedSummary>('UsageSummary').implement({
  description: 'Usage summed exactly. Tokens a provider did not report and costs that are unknown are left out of the sums.',
  fields: (t) => ({
    calls: t.exposeInt('calls'),
    inputTokens: t.expose('inputTokens', { type: 'SafeInt' }),
    outputTokens: t.expose('outputTokens', { type: 'SafeInt' }),
    totalTokens: t.expose('totalTokens', { type: 'SafeInt' }),
    totalCost: t.expose('totalCost', { type: 'Decimal' }),
    unknownCostCalls: t.exposeInt('unknownCostCalls', { description: 'Calls whose cost could not be known.' }),
    // One list per grouping dimension (byProvider, byModel, byDay), in their declared order.
    ...Object.fromEntries(USAGE_DIMENSIONS.map(({ bucket }) => [bucket, t.field({ type: [UsageBucketRef], resolve: (summary) => summary[bucket] })])),
    byTag: t.field({
      type: [UsageBucketRef],
      description: 'Per tag of the calls (CallLlmInput.tags), sorted by tag; a call with several tags counts under each.',
      resolve: (summary, _args, { services }) => (summary.scope ? services.usage.tagBuckets(summary.scope) : []),
    }),
  }),
});

const UsageRecordRef = builder.objectRef<UsageRecord>('UsageRecord').implement({
  description: 'One provider call.',
  fields: (t) => ({
    id: t.exposeID('id'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    userId: t.id({ resolve: (record) => record.user.id }),
    projectId: t.id({ nullable: true, resolve: (record) => record.projectId ?? null }),
    provider: t.field({ type: ProviderKindEnum, resolve: (record) => record.provider }),
    model: t.exposeString('model'),
    inputTokens: t.int({ nullable: true, resolve: (record) => record.inputTokens ?? null }),
    outputTokens: t.int({ nullable: true, resolve: (record) => record.outputTokens ?? null }),
    cost: t.field({ type: 'Decimal', nullable: true, resolve: (record) => record.cost ?? null }),
    latencyMs: t.exposeInt('latencyMs'),
    status: t.exposeString('status'),
    errorClass: t.string({ nullable: true, resolve: (record) => record.errorClass ?? null }),
    streamed: t.exposeBoolean('streamed'),
    cached: t.boolean({ description: 'Served from the response cache: no upstream request, cost 0.', resolve: (record) => record.cached ?? false }),
    savedCost: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'For a cached answer, what the call it repeats cost (null: not cached, or unknown).',
      resolve: (record) => record.savedCost ?? null,
    }),
    attempts: t.int({ description: 'Upstream requests the call made, retries and fallbacks included (0 when cached).', resolve: (record) => record.attempts }),
  }),
});

const UsageFilterInput = builder.inputType('UsageFilter', {
  fields: (t) => ({
    projectId: t.id(),
    userId: t.id({ description: "Another user's id: admins only." }),
    provider: t.field({ type: ProviderKindEnum }),
    model: t.string(),
    from: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    to: t.field({ type: 'DateTime', description: 'Exclusive.' }),
  }),
});

type FilterArg = typeof UsageFilterInput.$inferInput | null | undefined;
const toFilter = (filter: FilterArg) => ({
  ...filter,
  projectId: filter?.projectId ?? null,
  userId: filter?.userId ?? null,
});

builder.queryFields((t) => ({
  usage: t.withAuth({ signedIn: true }).field({
    type: UsageSummaryRef,
    args: { filter: t.arg({ type: UsageFilterInput }) },
    resolve: async (_root, { filter }, { services, viewer }) => {
      const scope = usageScope(viewer, toFilter(filter));
      return { ...(await services.usage.summary(scope)), scope };
    },
  }),
  usageRecords: t.withAuth({ signedIn: true }).connection({
    type: UsageRecordRef,
    description: 'Usage rows, newest first.',
    args: { filter: t.arg({ type: UsageFilterInput }) },
    resolve: async (_root, { filter, first, after }, { services, viewer }) => {
      const limit = pageSize(first, 500);
      const rows = await services.usage.records(usageScope(viewer, toFilter(filter)), limit + 1, decodeCursor(after));
      return toConnection(rows, limit, after);
    },
  }),
}));
