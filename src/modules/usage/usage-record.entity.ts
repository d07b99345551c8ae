import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { UserSchema } from '../auth/user.entity.ts';
import { PROVIDER_KINDS } from '../../llm/provider-kinds.ts';

/**
 * PENDING: the call is in flight (its row is written before the provider is called); ABORTED: its process
 * died before it finished, settled by the sweeper with what is known.
 */
export const USAGE_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'ABORTED'] as const;

/**
 * One row per provider call, streamed or not, successful or not: written PENDING before the provider is
 * called and settled once after (usage.writer.ts), so a call whose process dies is still on the books.
 */
export const UsageRecordSchema = defineEntity({
  name: 'UsageRecord',
  tableName: 'usage_records',
  schema: 'specs',
  properties: {
    id: p.uuid().primary().onCreate(() => randomUUID()),
    createdAt: p.datetime().onCreate(() => new Date()),
    user: () => p.manyToOne(UserSchema).deleteRule('cascade'),
    projectId: p.uuid().nullable().index(),
    provider: p.enum(PROVIDER_KINDS),
    model: p.string().length(200),
    /** Null when the provider did not report it: never guessed as 0. */
    inputTokens: p.integer().nullable(),
    outputTokens: p.integer().nullable(),
    /** Exact cost at the catalogue price in force at the time; null for a model without a price. */
    cost: p.decimal('string').precision(20).scale(8).nullable(),
    latencyMs: p.integer(),
    status: p.enum(USAGE_STATUSES),
    errorClass: p.string().length(40).nullable(),
    streamed: p.boolean(),
    attempts: p.integer().default(1),
    /** The call's tags (CallLlmInput.tags), sorted and unique; summaries bucket them (byTag). */
    tags: p.array<string>().columnType('text[]').defaultRaw("'{}'"),
    /**
     * What the call reserved under its budgets (budgets.ledger.ts), held on its PENDING row: released by its
     * settlement, or by the sweeper when the call's process died. Kept after settling, as a record of what
     * was held; null when no budget applied (or a fallback's reservation held it instead).
     */
    reserved: p.decimal('string').precision(24).scale(8).nullable(),
    /** The budgets `reserved` is held under. */
    budgetIds: p.array<string>().columnType('uuid[]').nullable(),
    /** A PENDING row past this instant belongs to a dead process: the sweeper settles it ABORTED. */
    deadlineAt: p.datetime().nullable(),
    /** Counted in the rollups yet: a settled call is folded into them off the hot path (usage.writer.ts foldRollups). */
    folded: p.boolean().default(false),
    /** Served from the response cache: no upstream request, cost 0. */
    cached: p.boolean().default(false),
    /** For a cached answer, what the call it repeats cost (null: unknown). */
    savedCost: p.decimal('string').precision(20).scale(8).nullable(),
  },
  indexes: [
    { properties: ['user', 'createdAt'] },
    { properties: ['createdAt'] },
    // Only in-flight rows: the sweeper's lookup stays small whatever the table's size.
    // Only the calls not yet in the rollups: what the fold reads, and what summaries add to the rollups.
    { name: 'usage_records_unfolded', expression: `create index "usage_records_unfolded" on "specs"."usage_records" ("created_at") where not "folded"` },
    { name: 'usage_records_pending', expression: `create index "usage_records_pending" on "specs"."usage_records" ("deadline_at") where "status" = 'PENDING'` },
  ],
});

export type UsageRecord = InferEntity<typeof UsageRecordSchema>;
