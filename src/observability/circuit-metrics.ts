// Circuit breakers' state as a gauge, fed by the breaker's onTransition callback
// (modules/providers/circuit-breaker.ts). The configuration label is the configuration's id: a bounded set
// made by admins, not user data. Each replica reports the transitions it made; the state shared by all
// replicas is the database's (IntelligenceProvider.health).
import { Gauge } from 'prom-client';
import type { ProviderKind } from '../llm/types.ts';
import type { CircuitTransition } from '../modules/providers/circuit-breaker.ts';
import { BoundedLabel, registry } from './metrics.ts';

const circuitState = new Gauge({
  name: 'agora_circuit_state',
  help: 'Circuit breaker state of each provider configuration, as this replica last changed it: 0 closed, 1 half-open (a trial call is out), 2 open (skipped).',
  labelNames: ['configuration', 'provider'] as const,
  registers: [registry],
});

const STATE_VALUES: Record<CircuitTransition['to'], number> = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 };

/** Ids come from the database's uuid column; the cap guards the series count if admins churn configurations. */
const configurations = new BoundedLabel(1_000, 36);

/** For the breaker's `onTransition`: `provider` is the configuration's kind, when the caller knows it. */
export function circuitStateChanged(change: CircuitTransition, provider?: ProviderKind | null): void {
  circuitState.set({ configuration: configurations.of(change.configurationId), provider: provider ?? 'unknown' }, STATE_VALUES[change.to]);
}
