// What a running gateway holds, sampled when Prometheus scrapes (collect callbacks, so nothing runs
// between scrapes): jobs by state from pg-boss, the PostgreSQL pool's connections, whether each Redis
// connection is up. A process may hold several runtimes (tests start replicas side by side): each adds
// its sources, their values are summed, and a source that fails (its runtime stopped) is dropped.
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { Gauge } from 'prom-client';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { CallObserver } from '../modules/calls/call-observer.ts';
import { createCallObserver } from './call-observer.ts';
import { registry } from './metrics.ts';

const JOB_STATES = ['ready', 'deferred', 'active', 'failed'] as const;
const POOL_STATES = ['idle', 'used', 'waiting'] as const;

const jobQueues = new Set<JobQueue>();
const orms = new Set<MikroORM>();
const redisClients = new Map<Redis, string>();

new Gauge({
  name: 'agora_jobs',
  help: 'Jobs by queue and state (ready: waiting for a worker; deferred: retrying later; active: running; failed: kept failed jobs), as pg-boss last counted them.',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const queue of [...jobQueues]) {
      try {
        for (const counts of await queue.stateCounts()) {
          for (const state of JOB_STATES) this.inc({ queue: counts.queue, state }, counts[state]);
        }
      } catch {
        jobQueues.delete(queue);
      }
    }
  },
});

async function openPool(orm: MikroORM): Promise<Pool | null> {
  const pool = await orm.em.getDriver().getConnection().getNativeClient();
  return (pool as Pool & { ended?: boolean }).ended ? null : pool;
}

new Gauge({
  name: 'agora_db_pool_connections',
  help: 'Connections of the PostgreSQL pool the gateway queries through (MikroORM’s pg Pool): idle, used, and requests waiting for one.',
  labelNames: ['state'] as const,
  registers: [registry],
  async collect() {
    const totals = { idle: 0, used: 0, waiting: 0 };
    for (const orm of [...orms]) {
      const pool = await openPool(orm).catch(() => null);
      if (!pool) {
        orms.delete(orm);
        continue;
      }
      totals.idle += pool.idleCount;
      totals.used += pool.totalCount - pool.idleCount;
      totals.waiting += pool.waitingCount;
    }
    for (const state of POOL_STATES) this.set({ state }, totals[state]);
  },
});

new Gauge({
  name: 'agora_redis_connected',
  help: 'Whether each Redis connection is up (1) or not (0), by its role (pubsub-publish, pubsub-subscribe, rate-limits). Absent without REDIS_URL.',
  labelNames: ['client'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [client, role] of redisClients) {
      if (client.status === 'end') {
        redisClients.delete(client);
        continue;
      }
      this.set({ client: role }, client.status === 'ready' ? 1 : 0);
    }
  },
});

/** Reports a Redis connection in agora_redis_connected under its role until it is closed for good. */
export function watchRedis(role: string, client: Redis): void {
  redisClients.set(client, role);
}

/**
 * Watches a runtime: its job queue and database pool are sampled at each scrape, and its provider calls
 * through the observer returned (set as AppDeps.callObserver).
 */
export function observeRuntime(runtime: { orm: MikroORM; queue: JobQueue | null }): CallObserver {
  orms.add(runtime.orm);
  if (runtime.queue) jobQueues.add(runtime.queue);
  return createCallObserver();
}
