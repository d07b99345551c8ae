import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { baseProperties } from '../../db/base.entity.ts';
import { UserSchema } from '../auth/user.entity.ts';
import { ProjectSchema } from '../projects/project.entity.ts';

export const BUDGET_SCOPES = ['GLOBAL', 'USER', 'PROJECT'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export const BUDGET_PERIODS = ['DAY', 'MONTH', 'TOTAL'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/**
 * A spending limit in USD for one scope (everyone, a user, a project) and period (UTC day, UTC month, all
 * time). `spent` is what settled calls cost in the period that starts at `periodStart`; `reserved` is
 * the largest possible cost of calls in flight. A call reserves before it goes out and settles after, so
 * spent + reserved never passes the limit (see budgets.ledger.ts).
 */
export const BudgetSchema = defineEntity({
  name: 'Budget',
  tableName: 'budgets',
  schema: 'specs',
  properties: {
    ...baseProperties(),
    scope: p.enum(BUDGET_SCOPES),
    user: () => p.manyToOne(UserSchema).deleteRule('cascade').nullable(),
    project: () => p.manyToOne(ProjectSchema).deleteRule('cascade').nullable(),
    period: p.enum(BUDGET_PERIODS),
    limitAmount: p.decimal('string').precision(24).scale(8),
    spent: p.decimal('string').precision(24).scale(8).default('0'),
    reserved: p.decimal('string').precision(24).scale(8).default('0'),
    periodStart: p.datetime(),
    warnAt: p.double().nullable(),
    /** When the WARNING of the current period was sent (once per period). */
    warnedAt: p.datetime().nullable(),
    /** Calls whose cost cannot be bounded (a model without a price) pass, counted at 0; by default they are refused. */
    allowUnpriced: p.boolean().default(false),
  },
  // One budget per scope, target and period; NULL targets (GLOBAL) count as equal.
  indexes: [
    {
      name: 'budgets_one_per_target',
      expression:
        'create unique index "budgets_one_per_target" on "specs"."budgets" ("scope", "user_id", "project_id", "period") nulls not distinct',
    },
  ],
});

export type Budget = InferEntity<typeof BudgetSchema>;

/**
 * A call in flight: what it reserved, under which budgets, until when. Settling deletes it in the usage
 * row's statement; a call whose process died leaves it to the sweeper after `expiresAt`.
 */
export const BudgetReservationSchema = defineEntity({
  name: 'BudgetReservation',
  tableName: 'budget_reservations',
  schema: 'specs',
  properties: {
    id: p.uuid().primary(),
    budgetIds: p.array<string>().columnType('uuid[]'),
    amount: p.decimal('string').precision(24).scale(8),
    createdAt: p.datetime(),
    expiresAt: p.datetime().index(),
  },
});

export type BudgetReservation = InferEntity<typeof BudgetReservationSchema>;
