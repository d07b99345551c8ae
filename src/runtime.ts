// Everything a running gateway needs around the HTTP app: pub/sub (Redis when configured), the job queue
// and its workers. Used by the process entry and by tests, so both run the same wiring.
import type { MikroORM } from '@mikro-orm/postgresql';
import { buildApp, type App } from './app.ts';
import type { Config } from './config/config.ts';
import { createPubSubHandle, onEach } from './events/pubsub.ts';
import { startJobQueue } from './jobs/job-queue.ts';
import type { Logger } from './logger.ts';
import { runExecutors } from './jobs/executors.ts';
import { createRunWorker } from './jobs/run-worker.ts';
import { revokedUserOf, TokenCache } from './modules/auth/token-cache.ts';
import { BudgetLedger } from './modules/budgets/budgets.ledger.ts';
import { IdempotencyService } from './modules/idempotency/idempotency.service.ts';
import { ResponseCache } from './modules/cache/response-cache.ts';
import { createLedgerBatch, UsageWriter } from './modules/usage/usage.writer.ts';
import { setOutboundPolicy } from './net/outbound-policy.ts';
import { circuitStateChanged } from './observability/circuit-metrics.ts';
import { CallDrain } from './modules/calls/call-drain.ts';
import { RoutingCache } from './modules/providers/routing-cache.ts';
import { RecentAnswers } from './modules/cache/recent-answers.ts';
import { RateLimitOverrides } from './modules/ratelimits/rate-limiter.ts';
import type { RateLimitRuntime } from './modules/ratelimits/ratelimits.service.ts';
import { createRateLimitRedis, RedisWindowStore } from './modules/ratelimits/redis-window-store.ts';
import { PostgresWindowStore } from './modules/ratelimits/window-store.ts';
import { TemplatesService } from './modules/templates/templates.service.ts';
import { observeRuntime } from './observability/runtime-metrics.ts';
import type { SecretBox } from './security/secret-box.ts';
import type { AppDeps } from './services.ts';

const RESERVATION_SWEEP_MS = 60_000;

export interface Runtime {
  app: App;
  deps: AppDeps;
  /** Stops taking jobs, serving requests and publishing, in that order. */
  stop(): Promise<void>;
}

export async function startRuntime(options: {
  config: Config;
  orm: MikroORM;
  databaseUrl: string;
  logger: Logger;
  secretBox: SecretBox;
}): Promise<Runtime> {
  const { config, logger } = options;
  const drain = new CallDrain();
  // Every outbound connection of this process (provider SDKs, GitHub) checks its address against this.
  setOutboundPolicy(config.outbound);
  const pubsub = createPubSubHandle(config.redisUrl, logger);
  const queue = await startJobQueue({
    connectionString: options.databaseUrl,
    logger,
    heartbeatSeconds: config.jobs.heartbeatSeconds,
    monitorSeconds: config.jobs.monitorSeconds,
    retryLimit: config.jobs.retryLimit,
    concurrency: config.jobs.concurrency,
  });
  const tokenCache = new TokenCache();
  const routingCache = new RoutingCache({ publish: (change) => pubsub.pubsub.publish('routing:changed', change) });
  // Rate-limit counters: in Redis when configured (fail open while it is down), else in PostgreSQL.
  const rateLimits: RateLimitRuntime = {
    redis: config.redisUrl ? new RedisWindowStore(createRateLimitRedis(config.redisUrl, logger), { logger }) : null,
    overrides: new RateLimitOverrides(),
    logger,
  };
  const deps: AppDeps = { orm: options.orm, config, logger, pubsub: pubsub.pubsub, secretBox: options.secretBox, queue, tokenCache, routingCache, rateLimits,
    recentAnswers: new RecentAnswers(config.responseCache.memoryBytes), callObserver: observeRuntime({ orm: options.orm, queue }),
    callDrain: drain,
    // Calls' ledger rows that arrive together go to PostgreSQL together (group commit).
    ledgerBatch: createLedgerBatch(options.orm.em),
    // Breaker state changes become the agora_circuit_state gauge (labelled with the configuration's kind).
    onCircuitTransition: (change) => circuitStateChanged(change, routingCache.kindOf(change.configurationId)),
  };
  // Revocations and routing changes from any replica drop what this one holds too.
  const listenerStopped = (error: unknown) => logger.error({ err: error }, 'pub/sub listener stopped');
  const listeners = [
    onEach(
      pubsub.pubsub.subscribe('auth:revoked'),
      (revocation) => {
        tokenCache.evict(revocation.tokenHash);
        // A user's revocation key (their rate limits changed) also drops the overrides jobs read.
        const userId = revokedUserOf(revocation.tokenHash);
        if (userId !== null) rateLimits.overrides.forget(userId);
      },
      listenerStopped,
    ),
    onEach(pubsub.pubsub.subscribe('routing:changed'), (change) => routingCache.apply(change), listenerStopped),
  ];
  if (config.jobs.workers) {
    const worker = createRunWorker(deps, runExecutors(deps));
    await queue.work(worker.run, worker.dead);
  }
  await new TemplatesService(options.orm.em.fork()).seedBuiltIns();
  // Budget reservations of calls whose process died are released once they expire, and idempotency keys
  // past their 24 hours are forgotten (any replica may do it).
  const sweeper = setInterval(() => {
    new UsageWriter(options.orm.em.fork()).sweepAbandoned().catch((error: unknown) => logger.warn({ err: error }, 'abandoned call sweep failed'));
    new BudgetLedger(options.orm.em.fork()).sweep().catch((error: unknown) => logger.warn({ err: error }, 'budget reservation sweep failed'));
    // Rate-limit minutes no sliding minute reads any more (Redis expires its own).
    if (!rateLimits.redis) {
      new PostgresWindowStore(options.orm.em.fork()).sweep(Date.now()).catch((error: unknown) => logger.warn({ err: error }, 'rate-limit window sweep failed'));
    }
    new IdempotencyService(options.orm.em.fork()).sweep().catch((error: unknown) => logger.warn({ err: error }, 'idempotency key sweep failed'));
    new ResponseCache(options.orm.em.fork(), config.responseCache).sweep().catch((error: unknown) => logger.warn({ err: error }, 'response cache sweep failed'));
  }, RESERVATION_SWEEP_MS);
  sweeper.unref();
  // Settled calls go into the rollups off the hot path, every second (one replica at a time: an advisory
  // lock). Summaries read what is not folded yet raw, so they are exact meanwhile.
  let folding = false;
  let foldFailing = false;
  const folder = setInterval(() => {
    if (folding) return;
    folding = true;
    new UsageWriter(options.orm.em.fork())
      .foldRollups()
      .then(() => {
        if (foldFailing) logger.info('usage rollups folding again');
        foldFailing = false;
      })
      .catch((error: unknown) => {
        // Once per outage, not once a second.
        if (!foldFailing) logger.warn({ err: error }, 'folding usage into the rollups failed; summaries stay exact, reading raw rows');
        foldFailing = true;
      })
      .finally(() => (folding = false));
  }, config.usageFoldIntervalMs);
  folder.unref();
  const app = buildApp(deps);
  return {
    app,
    deps,
    async stop() {
      clearInterval(sweeper);
      clearInterval(folder);
      await Promise.all(listeners.map((stop) => stop()));
      await queue.stop();
      // Calls in flight (HTTP, SSE, WebSocket) finish within the grace period, or are ended and recorded.
      await app.stop({
        drain: async () => {
          if (drain.inFlight === 0) return;
          logger.info({ calls: drain.inFlight, graceSeconds: config.shutdownGraceMs / 1000 }, 'letting calls in flight finish');
          const outcome = await drain.drain(config.shutdownGraceMs);
          if (!outcome.finished) logger.warn({ ended: outcome.ended }, 'calls still running after the grace period were ended');
        },
      });
      await pubsub.close();
      rateLimits.redis?.close();
    },
  };
}
