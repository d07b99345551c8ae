// Rate-limit refusals as a Prometheus counter (the registry is src/observability/metrics.ts), by the limit
// that refused: requests or tokens per minute. Who was refused is not a label.
import { Counter } from 'prom-client';
import { registry } from '../../observability/metrics.ts';
import { type Limits, requestsFit, type WindowCounts } from './sliding-window.ts';

const refusals = new Counter({
  name: 'agora_rate_limit_refusals_total',
  help: 'Calls refused with RATE_LIMITED before reaching a provider, by the limit that refused (requests or tokens per minute; requests when both).',
  labelNames: ['kind'] as const,
  registers: [registry],
});

/** Counts a refusal under the limit that caused it, judged as the refusal message judges it. */
export function countRateLimitRefusal(limits: Limits, counts: WindowCounts, elapsed: number): void {
  refusals.inc({ kind: requestsFit(limits.requestsPerMinute, counts, elapsed) ? 'tokens' : 'requests' });
}
