// Budget refusals as a Prometheus counter (the registry is src/observability/metrics.ts), by the scope of
// the budget that refused: which budget, and whose, stays in the budgetEvents and the logs, not in labels.
import { Counter } from 'prom-client';
import { registry } from '../../observability/metrics.ts';
import type { BudgetScope } from './budget.entity.ts';

const refusals = new Counter({
  name: 'agora_budget_refusals_total',
  help: 'Calls refused with BUDGET_EXCEEDED before reaching a provider, by the refusing budget’s scope (GLOBAL, USER, PROJECT).',
  labelNames: ['scope'] as const,
  registers: [registry],
});

export function countBudgetRefusal(scope: BudgetScope): void {
  refusals.inc({ scope });
}
