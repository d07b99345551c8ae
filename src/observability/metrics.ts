// One Prometheus registry per process (prom-client). Every metric of the gateway registers here, in a
// file next to what it counts, and GET /metrics serves it (metrics-route.ts). Label values come from
// bounded sets only (provider kinds, catalogue model ids, statuses, operation names capped in number):
// never a user id, an email, a token, a prompt or any other free text.
import { collectDefaultMetrics, Registry } from 'prom-client';

export const registry = new Registry();

// The process defaults (CPU, memory, heap, event-loop lag, handles, GC), without a prefix, as Grafana's
// stock Node.js dashboards expect them.
collectDefaultMetrics({ register: registry });

/** The label of values that fall outside a bounded set. */
export const OTHER = 'other';

/**
 * Keeps a label whose values come from clients (operation names) or from code that may grow (error codes)
 * to a bounded set: each value is cut to `maxLength`, and once `limit` distinct values have been seen,
 * new ones count as `other`. Values already seen keep their own series.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  private readonly limit: number;
  private readonly maxLength: number;

  constructor(limit: number, maxLength = 64) {
    this.limit = limit;
    this.maxLength = maxLength;
  }

  of(value: string): string {
    const cut = value.length > this.maxLength ? value.slice(0, this.maxLength) : value;
    if (this.seen.has(cut)) return cut;
    if (this.seen.size >= this.limit) return OTHER;
    this.seen.add(cut);
    return cut;
  }
}
