import { abortableSource } from '../../events/abortable.ts';
import { builder } from '../../graphql/builder.ts';
import { UserRef } from '../auth/auth.schema.ts';
import { ProjectRef } from '../projects/projects.schema.ts';
import { BUDGET_PERIODS, BUDGET_SCOPES } from './budget.entity.ts';
import type { BudgetEvent, BudgetView } from './budgets.service.ts';

const BudgetScopeEnum = builder.enumType('BudgetScope', { values: BUDGET_SCOPES });
const BudgetPeriodEnum = builder.enumType('BudgetPeriod', { values: BUDGET_PERIODS });
const BudgetEventKindEnum = builder.enumType('BudgetEventKind', { values: ['WARNING', 'EXCEEDED'] as const });

const BudgetRef = builder.objectRef<BudgetView>('Budget').implement({
  description: 'A spending limit in USD. Calls reserve their largest possible cost before they go out, so spent never passes limit.',
  fields: (t) => ({
    id: t.exposeID('id'),
    scope: t.field({ type: BudgetScopeEnum, resolve: (budget) => budget.scope }),
    user: t.field({ type: UserRef, nullable: true, resolve: (budget, _args, { loaders }) => (budget.userId ? loaders.users.load(budget.userId) : null) }),
    project: t.field({
      type: ProjectRef,
      nullable: true,
      resolve: (budget, _args, { services, viewer }) => (budget.projectId && viewer ? services.projects.get(viewer, budget.projectId).catch(() => null) : null),
    }),
    period: t.field({ type: BudgetPeriodEnum, resolve: (budget) => budget.period }),
    limit: t.field({ type: 'Decimal', resolve: (budget) => budget.limit }),
    spent: t.field({ type: 'Decimal', description: 'What settled calls cost in the current period.', resolve: (budget) => budget.spent }),
    reserved: t.field({ type: 'Decimal', description: 'The largest possible cost of the calls in flight.', resolve: (budget) => budget.reserved }),
    remaining: t.field({ type: 'Decimal', resolve: (budget) => budget.remaining }),
    warnAt: t.float({ nullable: true, description: 'A fraction of the limit: budgetEvents sends a WARNING once spend crosses it.', resolve: (budget) => budget.warnAt }),
    allowUnpriced: t.boolean({
      description: 'Whether calls whose cost cannot be bounded (a model without a price) pass, counted at 0. By default they are refused.',
      resolve: (budget) => budget.allowUnpriced,
    }),
    periodStart: t.field({ type: 'DateTime', nullable: true, description: 'The current UTC day or month; null for TOTAL.', resolve: (budget) => budget.periodStart }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const BudgetEventRef = builder.objectRef<BudgetEvent>('BudgetEvent').implement({
  fields: (t) => ({
    budget: t.field({ type: BudgetRef, resolve: (event) => event.budget }),
    kind: t.field({ type: BudgetEventKindEnum, resolve: (event) => event.kind }),
    spent: t.field({ type: 'Decimal', resolve: (event) => event.spent }),
    limit: t.field({ type: 'Decimal', resolve: (event) => event.limit }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const SetBudgetInput = builder.inputType('SetBudgetInput', {
  fields: (t) => ({
    scope: t.field({ type: BudgetScopeEnum, required: true }),
    userId: t.id({ description: 'For USER budgets.' }),
    projectId: t.id({ description: 'For PROJECT budgets.' }),
    period: t.field({ type: BudgetPeriodEnum, required: true }),
    limit: t.field({ type: 'Decimal', required: true, description: 'USD, such as "25.00".' }),
    warnAt: t.float({ description: 'A fraction of the limit (0.8: warn at 80%).' }),
    allowUnpriced: t.boolean({ description: 'Let calls whose cost cannot be bounded pass (counted at 0). Default false: refused.' }),
  }),
});

builder.queryField('budgets', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: [BudgetRef],
    description: 'Admins: every budget, narrowed by the arguments; members: the budgets that apply to them.',
    args: { scope: t.arg({ type: BudgetScopeEnum }), userId: t.arg.id(), projectId: t.arg.id() },
    resolve: (_root, args, { services, viewer }) => services.budgets.list(viewer, args),
  }),
);

builder.mutationFields((t) => ({
  setBudget: t.withAuth({ signedIn: true }).field({
    type: BudgetRef,
    description: 'Creates or replaces the budget of that scope, target and period (spend so far is kept). Admins: any; members: PROJECT budgets on their own projects.',
    args: { input: t.arg({ type: SetBudgetInput, required: true }) },
    resolve: (_root, { input }, { services, viewer }) => services.budgets.set(viewer, input),
  }),
  deleteBudget: t.withAuth({ signedIn: true }).boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, viewer }) => services.budgets.delete(viewer, id),
  }),
}));

builder.subscriptionField('budgetEvents', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: BudgetEventRef,
    description: 'WARNING when a budget that applies to you crosses its warnAt, EXCEEDED when it refuses a call.',
    subscribe: (_root, _args, { services, viewer, request }) => abortableSource((signal) => services.budgets.events(viewer, signal), request?.signal),
    resolve: (event) => event,
  }),
);
