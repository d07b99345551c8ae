// GET /readyz: can this replica serve, and what does it serve without? One field per dependency:
// - database: PostgreSQL answers. Without it nothing works: 503, `unavailable` (a load balancer stops
//   sending requests here; they would only get SERVICE_UNAVAILABLE).
// - redis (null when REDIS_URL is unset): every connection is up. Without it the replica still serves,
//   `degraded` with 200: events reach only this replica (run followers elsewhere read the events table),
//   other replicas' caches expire by their TTL, and rate limits are not enforced.
// - jobs (null in a process without a job queue): pg-boss reads its queue table through its own pool.
//   Without it, analyses wait in the queue: `degraded`.
// The body says no more than that (no error text, address or count): the route needs no token.
import { redisStatusOf } from './events/pubsub.ts';
import type { AppDeps } from './services.ts';

export interface Readiness {
  status: 'ready' | 'degraded' | 'unavailable';
  database: { ok: boolean };
  redis: { ok: boolean; connections: Record<string, string> } | null;
  jobs: { ok: boolean; workers: boolean } | null;
}

// A dependency that does not answer within this long counts as down (a probe must not hang on a black hole).
const CHECK_TIMEOUT_MS = 2_000;

/** True when `check` resolves to true in time; false when it resolves false, rejects or takes too long. */
async function passes(check: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
    timer.unref();
  });
  try {
    return await Promise.race([check().catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

function redisReadiness(deps: Pick<AppDeps, 'config' | 'pubsub' | 'rateLimits'>): Readiness['redis'] {
  if (!deps.config.redisUrl) return null;
  const connections: Record<string, string> = {};
  const events = redisStatusOf(deps.pubsub);
  if (events) Object.assign(connections, { eventsPublish: events.publish, eventsSubscribe: events.subscribe });
  if (deps.rateLimits?.redis) connections.rateLimits = deps.rateLimits.redis.status;
  return { ok: Object.values(connections).every((status) => status === 'ready'), connections };
}

export async function readiness(deps: Pick<AppDeps, 'orm' | 'config' | 'pubsub' | 'queue' | 'rateLimits'>): Promise<Readiness> {
  const queue = deps.queue;
  const [database, jobs] = await Promise.all([
    passes(async () => (await deps.orm.checkConnection()).ok),
    queue ? passes(async () => (await queue.stateCounts()).length > 0) : null,
  ]);
  const redis = redisReadiness(deps);
  const status = !database ? 'unavailable' : redis?.ok === false || jobs === false ? 'degraded' : 'ready';
  return { status, database: { ok: database }, redis, jobs: jobs === null ? null : { ok: jobs, workers: deps.config.jobs.workers } };
}

/** The readiness report as the route answers it: 503 when the replica cannot serve, else 200 (degraded included). */
export async function readinessResponse(deps: Pick<AppDeps, 'orm' | 'config' | 'pubsub' | 'queue' | 'rateLimits'>): Promise<Response> {
  const report = await readiness(deps);
  return Response.json(report, { status: report.status === 'unavailable' ? 503 : 200, headers: { 'cache-control': 'no-store' } });
}
