// The composition root of the domain services: one set per unit of work (a request, or a job), sharing
// the long-lived dependencies. Resolvers and workers both take their services from here.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from './config/config.ts';
import type { PubSub } from './events/pubsub.ts';
import type { JobQueue } from './jobs/job-queue.ts';
import type { Logger } from './logger.ts';
import { AnalysisService } from './modules/analysis/analysis.service.ts';
import { AuthService } from './modules/auth/auth.service.ts';
import { BudgetLedger } from './modules/budgets/budgets.ledger.ts';
import { BudgetsService } from './modules/budgets/budgets.service.ts';
import { IdempotencyService } from './modules/idempotency/idempotency.service.ts';
import { type TokenCache, userRevocationKey } from './modules/auth/token-cache.ts';
import type { CallObserver } from './modules/calls/call-observer.ts';
import { type CallResult, CallsService } from './modules/calls/calls.service.ts';
import type { CallDrain } from './modules/calls/call-drain.ts';
import { ResponseCache } from './modules/cache/response-cache.ts';
import type { RoutingCache } from './modules/providers/routing-cache.ts';
import type { RecentAnswers } from './modules/cache/recent-answers.ts';
import { ExportService } from './modules/export/export.service.ts';
import { GitHubService } from './modules/github/github.service.ts';
import { IncidentsService } from './modules/incidents/incidents.service.ts';
import { keyKindOf } from './llm/provider-kinds.ts';
import { KeysService } from './modules/keys/keys.service.ts';
import { ProjectsService } from './modules/projects/projects.service.ts';
import { ProviderRouting } from './modules/providers/provider-routing.ts';
import { ProvidersService } from './modules/providers/providers.service.ts';
import { CircuitBreaker, type CircuitTransition } from './modules/providers/circuit-breaker.ts';
import { createRateLimiter, type RateLimitRuntime, RateLimitsService } from './modules/ratelimits/ratelimits.service.ts';
import { TemplatesService } from './modules/templates/templates.service.ts';
import { UsageService } from './modules/usage/usage.service.ts';
import { type LedgerBatch, UsageWriter } from './modules/usage/usage.writer.ts';
import { lazyRecord } from './lazy.ts';
import type { SecretBox } from './security/secret-box.ts';

/** Long-lived dependencies shared by every request and job. */
export interface AppDeps {
  orm: MikroORM;
  config: Config;
  logger: Logger;
  pubsub: PubSub;
  secretBox: SecretBox;
  /** Null in a process that takes no jobs and starts none. */
  queue: JobQueue | null;
  /** Recently seen access tokens (see modules/auth/token-cache.ts); absent: every request asks the database. */
  tokenCache?: TokenCache;
  /** Provider configurations and user keys as calls read them (see modules/providers/routing-cache.ts); absent: read per call. */
  routingCache?: RoutingCache;
  /** The replica's copy of recently served cached answers (see modules/cache/recent-answers.ts); absent: every lookup asks the database. */
  recentAnswers?: RecentAnswers;
  /** Rate-limit counters (Redis, when configured) and cached overrides (see modules/ratelimits); absent: PostgreSQL, nothing cached. */
  rateLimits?: RateLimitRuntime;
  /** What watches provider calls (metrics, traces: src/observability/); absent: nothing does. */
  callObserver?: CallObserver;
  /** The process's shutdown of calls in flight (see modules/calls/call-drain.ts); absent: calls are never drained. */
  callDrain?: CallDrain;
  /** Told of every circuit-breaker state change (metrics); absent: only the log line. */
  onCircuitTransition?: (change: CircuitTransition) => void;
  /** The process's group commit of the call ledger (usage.writer.ts, createLedgerBatch); absent: a statement per row. */
  ledgerBatch?: LedgerBatch;
}

export interface Services {
  auth: AuthService;
  providers: ProvidersService;
  usage: UsageService;
  calls: CallsService;
  keys: KeysService;
  incidents: IncidentsService;
  analysis: AnalysisService;
  projects: ProjectsService;
  templates: TemplatesService;
  exports: ExportService;
  github: GitHubService;
  budgets: BudgetsService;
  rateLimits: RateLimitsService;
}

export function createServices(
  em: EntityManager,
  deps: Pick<AppDeps, 'config' | 'secretBox' | 'pubsub' | 'queue' | 'tokenCache' | 'routingCache' | 'recentAnswers' | 'rateLimits' | 'callObserver' | 'onCircuitTransition' | 'logger' | 'callDrain' | 'ledgerBatch'>,
): Services {
  // Built on first use: a request that calls a provider builds what a call needs, not the exports.
  let breaker: CircuitBreaker | null = null;
  const breakerOf = () =>
    (breaker ??= new CircuitBreaker(em, {
      ...deps.config.breaker,
      cache: deps.routingCache,
      logger: deps.logger,
      onTransition: deps.onCircuitTransition,
    }));
  return lazyRecord<Services>({
    auth: () =>
      new AuthService(em, {
        cache: deps.tokenCache,
        onRevoke: (tokenHash) => deps.pubsub.publish('auth:revoked', { tokenHash }),
      }),
    providers: () => new ProvidersService(em, deps.secretBox, deps.routingCache, breakerOf()),
    usage: () => new UsageService(em),
    calls: (services) =>
      new CallsService({
        routing: new ProviderRouting(em, deps.secretBox, deps.routingCache),
        usage: new UsageWriter(em, deps.ledgerBatch),
        limits: deps.config.callLimits,
        deadlineMs: deps.config.callDeadlineMs,
        drain: deps.callDrain,
        environmentKeys: deps.config.providerKeys,
        userKey: (userId, kind) => {
          const keyKind = keyKindOf(kind);
          return keyKind ? services.keys.secretFor(userId, keyKind) : Promise.resolve(null);
        },
        projectLlm: (actor, projectId) => services.projects.llmOf(actor, projectId),
        budgets: new BudgetLedger(em, { cache: deps.routingCache, pubsub: deps.pubsub }),
        rateLimits: createRateLimiter(em, deps.config.rateLimits, deps.rateLimits),
        idempotency: new IdempotencyService(em),
        observer: deps.callObserver,
        breaker: breakerOf(),
        responseCache: { store: new ResponseCache<CallResult>(em, { ...deps.config.responseCache, recent: deps.recentAnswers }), ttlSeconds: deps.config.responseCache.ttlSeconds },
      }),
    keys: () => new KeysService(em, deps.secretBox, deps.routingCache),
    incidents: () => new IncidentsService(em),
    analysis: () => new AnalysisService(em, deps.pubsub, deps.queue),
    projects: () => new ProjectsService(em),
    templates: () => new TemplatesService(em),
    exports: (services) => new ExportService(em, services.projects, services.usage),
    github: (services) => new GitHubService(services.keys, deps.config.githubGraphqlUrl),
    budgets: (services) =>
      new BudgetsService(em, async (actor, projectId) => void (await services.projects.get(actor, projectId)), { cache: deps.routingCache, pubsub: deps.pubsub }),
    // A changed override drops the user's cached viewers (which carry it) and cached overrides, here at
    // once and in every replica through the revocation channel (runtime.ts).
    rateLimits: () =>
      new RateLimitsService(em, deps.config.rateLimits, (userId) => {
        const key = userRevocationKey(userId);
        deps.tokenCache?.evict(key);
        deps.rateLimits?.overrides.forget(userId);
        deps.pubsub.publish('auth:revoked', { tokenHash: key });
      }),
  });
}
