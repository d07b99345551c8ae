import { AppError, badInput } from '../../errors.ts';
import { computeCost, defaultModel } from '../../llm/catalogue.ts';
import { ProviderCallError } from '../../llm/errors.ts';
import { providerName } from '../../llm/provider-kinds.ts';
import { getDriver } from '../../llm/registry.ts';
import { streamWithRetry, withRetry, type RetryOptions } from '../../llm/retry.ts';
import type { FinishReason, GenerateRequest, ProviderKind, TokenUsage, ToolCall } from '../../llm/types.ts';
import type { Actor } from '../auth/actor.ts';
import { type PendingEntry, type UsageEntry, type UsageWriter } from '../usage/usage.writer.ts';
import type { BudgetLedger } from '../budgets/budgets.ledger.ts';
import type { RateLimiter } from '../ratelimits/rate-limiter.ts';
import { type IdempotencyService, requestHash } from '../idempotency/idempotency.service.ts';
import { callBound } from './call-bound.ts';
import { type Admitted, type Breaker, CallChain } from './call-chain.ts';
import { type CallObserver, NO_OBSERVER } from './call-observer.ts';
import { type CallDrain, ShuttingDown, shuttingDownError } from './call-drain.ts';
import { type CacheScope, type ResponseCache, responseCacheKey } from '../cache/response-cache.ts';
import { toAppError } from './call-errors.ts';
import { type CallLimits, type CallRequest, type CallRequestInput, DEFAULT_CALL_LIMITS, toCallRequest } from './call-request.ts';
import { type CallAttempt, type CallResult, type CallStreamEvent, parsedAnswer, parsedToolCalls } from './call-result.ts';
import { CallRouter, type Route, type RouterDeps, type RouteTarget } from './call-router.ts';

export type { CallResult, CallStreamEvent } from './call-result.ts';

/** A call as callers give it: its content, where it should go, and optionally its idempotency key. */
export interface CallInput extends CallRequestInput, Omit<RouteTarget, 'configuration'> {
  idempotencyKey?: string | null;
}

export interface ProviderTestResult {
  ok: boolean;
  latencyMs: number;
  model: string;
  error: string | null;
}

export interface CallsDeps extends RouterDeps {
  /** The call path only writes usage. */
  usage: UsageWriter;
  /** Budgets: reservations before a call, settled with its usage row. Absent: no budgets are enforced. */
  budgets?: BudgetLedger;
  /** Per-user requests and tokens per minute: counted at admission, tokens added after the call. Absent: no rate limits. */
  rateLimits?: RateLimiter;
  /** Idempotency keys: absent, a call's idempotencyKey is refused. */
  idempotency?: IdempotencyService;
  limits?: CallLimits;
  retry?: Partial<Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>>;
  /** The most one call may take, retries and fallbacks included; past it the call ends with TIMEOUT. */
  deadlineMs?: number;
  /** The process's shutdown: refuses new calls while draining, ends running ones after the grace period. */
  drain?: CallDrain;
  /** Metrics and traces of each attempt and call (src/observability/); absent: nothing watches. */
  observer?: CallObserver;
  /** Per-configuration circuit breakers (providers/circuit-breaker.ts); absent: every configuration is always tried. */
  breaker?: Breaker;
  /** Answers of calls that asked for the cache; absent: `cache: true` is served fresh. */
  responseCache?: { store: Pick<ResponseCache<CallResult>, 'get' | 'put'>; ttlSeconds: number };
}

/** The driver's answer, as the execute stage hands it to the account stage. */
interface Answer {
  text: string;
  model: string;
  usage: TokenUsage;
  finishReason: FinishReason;
  toolCalls: ToolCall[];
}

interface Outcome {
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  streamed: boolean;
  attempts: number;
  errorClass: string | null;
  /** Set for an answer served from the response cache: what the call it repeats cost. */
  savedCost?: string | null;
}

/** Where a call's answer is looked up and stored in the response cache. */
interface CacheLookup {
  key: string;
  scope: CacheScope;
  provider: ProviderKind;
  configurationId: string | null;
  ttlSeconds: number;
}

/** The first configuration's admission, with what the response cache had for the call. */
interface AdmittedCall extends Admitted {
  /** The cached answer: the call is served from it. */
  cached: CallResult | null;
  /** Where a fresh answer is stored; null when the call does not use the cache. */
  cacheLookup: CacheLookup | null;
}

const DEFAULT_RETRY = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 20_000 };
const DEFAULT_STREAM_IDLE_MS = 60_000;
const DEFAULT_DEADLINE_MS = 600_000;
const NOTHING = () => {};
/** How long after its deadline a PENDING row is surely a dead process's (clocks of replicas drift a little). */
const ABANDONED_AFTER_DEADLINE_MS = 60_000;
const NO_USAGE: TokenUsage = { inputTokens: null, outputTokens: null };

/**
 * The one path of a paid call, in explicit stages:
 * 1. route   (`prepare`, CallRouter): configuration, model, key, project, prices; decided once;
 * 2. admit   (`admit`): what this route's driver can do, the local provider's refusal, and the
 *            call's largest possible cost reserved under its budgets (rate limits belong here too);
 * 3. execute (`generate`/`stream`): the driver with our retries, an idle watchdog for streams, the
 *            caller's abort forwarded upstream;
 * 4. account (`account`): exactly one usage row per call, whatever the outcome, settling the budget
 *            reservation in the same statement.
 * `call`/`callStream` run all four; analyses prepare a route once and pass it to `stream`.
 */
export class CallsService {
  private readonly deps: CallsDeps;
  private readonly router: CallRouter;

  constructor(deps: CallsDeps) {
    this.deps = deps;
    this.router = new CallRouter(deps);
  }

  /** Validates a call's content (prompt or messages, tools, format) without routing it. */
  request(input: CallRequestInput): CallRequest {
    return toCallRequest(input, this.deps.limits ?? DEFAULT_CALL_LIMITS);
  }

  /** Stage 1: where the call goes. Throws API_KEY_REQUIRED, NOT_FOUND (project) or BAD_USER_INPUT (model). */
  prepare(actor: Actor, target: RouteTarget): Promise<Route> {
    return this.router.prepare(actor, target);
  }

  isAvailable(actor: Actor, kind: ProviderKind): Promise<boolean> {
    return this.router.isAvailable(actor, kind);
  }

  /** callLlm: content checked, routed, then generated; with an idempotency key, at most once per key. */
  async call(actor: Actor, input: CallInput, signal: AbortSignal): Promise<CallResult> {
    const request = this.request(input);
    const key = this.idempotencyOf(input);
    if (!key) return this.generate(actor, await this.prepare(actor, input), request, signal);
    const claim = await key.service.claim<CallResult>(actor, key.key, key.hash, signal);
    if (claim.kind === 'done') return claim.result;
    try {
      const result = await this.generate(actor, await this.prepare(actor, input), request, signal);
      await key.service.store(actor, key.key, result);
      return result;
    } catch (error) {
      await key.service.release(actor, key.key);
      throw error;
    }
  }

  /** llmStream: content checked, routed, then streamed; a repeated idempotency key gets the stored result as one event. */
  async *callStream(actor: Actor, input: CallInput, signal: AbortSignal): AsyncGenerator<CallStreamEvent> {
    const request = this.request(input);
    const key = this.idempotencyOf(input);
    if (!key) {
      yield* this.stream(actor, await this.prepare(actor, input), request, signal);
      return;
    }
    const claim = await key.service.claim<CallResult>(actor, key.key, key.hash, signal);
    if (claim.kind === 'done') {
      yield { done: true, result: claim.result };
      return;
    }
    let stored = false;
    try {
      for await (const event of this.stream(actor, await this.prepare(actor, input), request, signal)) {
        if (event.done) {
          await key.service.store(actor, key.key, event.result);
          stored = true;
        }
        yield event;
      }
    } finally {
      if (!stored) await key.service.release(actor, key.key);
    }
  }

  private idempotencyOf(input: CallInput): { service: IdempotencyService; key: string; hash: string } | null {
    const key = input.idempotencyKey;
    if (key === null || key === undefined) return null;
    if (!this.deps.idempotency) throw badInput('idempotencyKey is not available here.', { field: 'idempotencyKey' });
    const { idempotencyKey: _key, ...call } = input;
    return { service: this.deps.idempotency, key, hash: requestHash(call) };
  }

  async generate(actor: Actor, route: Route, request: CallRequest, signal: AbortSignal): Promise<CallResult> {
    const started = performance.now();
    const leave = this.deps.drain?.enter() ?? NOTHING;
    try {
      return await this.generateAdmitted(actor, route, request, signal, started);
    } finally {
      leave();
    }
  }

  private async generateAdmitted(actor: Actor, route: Route, request: CallRequest, signal: AbortSignal, started: number): Promise<CallResult> {
    const limits: CallEnds = { deadlineAt: Date.now() + this.deadlineMs, shutdown: this.deps.drain?.signal ?? null };
    const first = await this.admit(actor, route, request, false);
    if (first.cached) return this.serveCached(actor, route, first, started, false);
    const chain = this.chain(actor, request, { route, admitted: first });
    let upstreamAttempts = 0;
    for (let leg = await chain.next(); leg; leg = await chain.next()) {
      const legStarted = performance.now();
      const attempt = this.observer.attempt({ provider: leg.route.kind, model: leg.route.model, configurationId: leg.route.configuration?.id ?? null, streamed: false });
      // The driver gets a plain signal of our own: the HTTP server's request signal stops telling its own
      // listeners once an SDK builds AbortSignal.any() over it, and a disconnect would then read as a
      // retryable timeout (a second, paid request).
      const upstream = new LinkedController(signal, limits);
      const { route: legRoute, admitted } = leg;
      try {
        const answer = await attempt.run(() =>
          withRetry(
            () => {
              upstreamAttempts += 1;
              return getDriver(legRoute.kind).generate(admitted.request, legRoute.settings, upstream.signal);
            },
            { ...DEFAULT_RETRY, ...this.deps.retry, signal: upstream.signal },
          ),
        );
        attempt.end({ ok: true, errorCode: null, inputTokens: answer.usage.inputTokens, outputTokens: answer.usage.outputTokens, finishReason: answer.finishReason });
        await chain.succeeded(leg, Math.round(performance.now() - legStarted));
        const result = resultOf(legRoute, admitted.request, answer, started, chain.attempts);
        await this.account(actor, legRoute, admitted, result, { status: 'SUCCEEDED', streamed: false, attempts: upstreamAttempts, errorClass: null });
        await this.remember(actor, first, legRoute, result);
        return result;
      } catch (error) {
        const failure = pastDeadline(upstream, legRoute, error);
        attempt.end({ ok: false, errorCode: failure instanceof ProviderCallError ? failure.code : 'INTERNAL', inputTokens: null, outputTokens: null, finishReason: null });
        // A caller gone or a deadline passed ends the call: no retry, no fallback.
        if (await chain.failed(leg, failure, Math.round(performance.now() - legStarted), signal.aborted || upstream.deadlinePassed || upstream.shutDown)) continue;
        break;
      } finally {
        upstream.release();
      }
    }
    const { route: last, admitted } = chain.holder;
    await this.accountFailure(actor, last, admitted, started, chain.error, false, upstreamAttempts, chain.attempts);
    throw toAppError(last.kind, chain.error);
  }

  /** Streams text deltas, then one final event with the result. Stopping early aborts the provider call. */
  async *stream(actor: Actor, route: Route, request: CallRequest, signal: AbortSignal): AsyncGenerator<CallStreamEvent> {
    const started = performance.now();
    // While the process drains, no new call starts; one running is ended when the grace period is over.
    // (In this generator itself, not one around it: a delta passes one generator fewer.)
    const leave = this.deps.drain?.enter() ?? NOTHING;
    try {
      const limits: CallEnds = { deadlineAt: Date.now() + this.deadlineMs, shutdown: this.deps.drain?.signal ?? null };
      const first = await this.admit(actor, route, request, true);
      if (first.cached) {
        const result = await this.serveCached(actor, route, first, started, true);
        for (const delta of replayDeltas(result.text)) yield { delta, done: false };
        yield { done: true, result };
        return;
      }
      const chain = this.chain(actor, request, { route, admitted: first });
      let upstreamAttempts = 0;
      let text = '';
      let accounted = false;
      let shown = false;
      try {
        for (let leg = await chain.next(); leg; leg = await chain.next()) {
          const { route: legRoute, admitted } = leg;
          const legStarted = performance.now();
          const attempt = this.observer.attempt({ provider: legRoute.kind, model: legRoute.model, configurationId: legRoute.configuration?.id ?? null, streamed: true });
          const upstream = new LinkedController(signal, limits);
          // A stream that goes silent would hold a worker (and a client) forever: a gap this long ends it,
          // the wait for the first chunk included.
          const idleMs = legRoute.settings.timeoutMs ?? DEFAULT_STREAM_IDLE_MS;
          let stalled = false;
          let idleTimer: NodeJS.Timeout | undefined;
          const watchIdle = () => {
            clearTimeout(idleTimer);
            idleTimer = setTimeout(() => {
              stalled = true;
              upstream.abort(new Error('stream idle'));
            }, idleMs);
          };
          watchIdle();
          try {
            const parts = attempt.run(() =>
              streamWithRetry(
                () => {
                  upstreamAttempts += 1;
                  return getDriver(legRoute.kind).stream(admitted.request, legRoute.settings, upstream.signal);
                },
                { ...DEFAULT_RETRY, ...this.deps.retry, signal: upstream.signal },
              ),
            );
            for await (const part of parts) {
              watchIdle();
              if (part.type === 'text-delta') {
                text += part.text;
                shown = true;
                yield { delta: part.text, done: false };
              } else if (part.type === 'error') {
                throw part.error;
              } else if (part.type === 'finish') {
                clearTimeout(idleTimer);
                attempt.end({ ok: true, errorCode: null, inputTokens: part.usage.inputTokens, outputTokens: part.usage.outputTokens, finishReason: part.finishReason });
                await chain.succeeded(leg, Math.round(performance.now() - legStarted));
                const result = resultOf(legRoute, admitted.request, { ...part, model: part.model || legRoute.model, text }, started, chain.attempts);
                accounted = true;
                await this.account(actor, legRoute, admitted, result, { status: 'SUCCEEDED', streamed: true, attempts: upstreamAttempts, errorClass: null });
                await this.remember(actor, first, legRoute, result);
                yield { done: true, result };
                return;
              }
            }
            throw new ProviderCallError({ provider: legRoute.kind, code: 'PROVIDER_ERROR', message: 'The stream ended without a final event.' });
          } catch (caught) {
            const error = upstream.deadlinePassed || upstream.shutDown
              ? pastDeadline(upstream, legRoute, caught)
              : stalled
              ? new ProviderCallError({
                  provider: legRoute.kind,
                  code: 'TIMEOUT',
                  retryable: false,
                  message: `${providerName(legRoute.kind)} ${shown ? 'stopped sending' : 'sent nothing'} for ${Math.round(idleMs / 1000)} s; the stream was ended.`,
                })
              : caught;
            attempt.end({ ok: false, errorCode: error instanceof ProviderCallError ? error.code : 'INTERNAL', inputTokens: null, outputTokens: null, finishReason: null });
            // Once text reached the client, a failure ends the stream with an error: never a silent switch.
            if (await chain.failed(leg, error, Math.round(performance.now() - legStarted), shown || signal.aborted || upstream.deadlinePassed || upstream.shutDown)) continue;
            break;
          } finally {
            clearTimeout(idleTimer);
            upstream.release();
            if (!accounted && signal.aborted) upstream.abort();
          }
        }
        const { route: last, admitted } = chain.holder;
        accounted = true;
        await this.accountFailure(actor, last, admitted, started, chain.error, true, upstreamAttempts, chain.attempts, text);
        throw toAppError(last.kind, chain.error);
      } finally {
        if (!accounted) {
          // The consumer went away mid-stream (client disconnect or unsubscribe): stop paying for it.
          const { route: last, admitted } = chain.holder;
          const result = resultOf(last, admitted.request, { text, model: last.model, usage: NO_USAGE, finishReason: 'other', toolCalls: [] }, started, chain.attempts);
          await this.account(actor, last, admitted, result, { status: 'CANCELLED', streamed: true, attempts: upstreamAttempts, errorClass: 'ABORTED' });
        }
      }
    } finally {
      leave();
    }
  }

  /** The execute stage's way through the route's fallbacks, each admitted as it is reached. */
  private chain(actor: Actor, request: CallRequest, first: { route: Route; admitted: Admitted }): CallChain {
    const { tags: _tags, cache: _cache, ...content } = request;
    return new CallChain(
      {
        enter: async (configuration, from) => {
          const route = await this.router.fallback(actor, from, configuration);
          const driverRequest = this.capable(route, content);
          const reservation = this.deps.budgets ? await this.deps.budgets.reserve(actor, route.projectId, () => callBound(route, driverRequest)) : null;
          return { route, admitted: { request: driverRequest, reservation, tags: first.admitted.tags, usageId: first.admitted.usageId } };
        },
        leave: async (admitted) => {
          if (admitted.reservation && this.deps.budgets) await this.deps.budgets.release(admitted.reservation);
        },
        breaker: this.deps.breaker ?? null,
        observer: this.observer,
      },
      first,
    );
  }

  private get observer(): CallObserver {
    return this.deps.observer ?? NO_OBSERVER;
  }

  /** A cached answer served: cost 0, no upstream request, a usage row marked cached with what it saved. */
  private async serveCached(actor: Actor, route: Route, admitted: AdmittedCall, started: number, streamed: boolean): Promise<CallResult> {
    const stored = admitted.cached!;
    const result: CallResult = { ...stored, cost: '0', cached: true, attempts: [], latencyMs: Math.round(performance.now() - started) };
    await this.account(actor, route, admitted, result, { status: 'SUCCEEDED', streamed, attempts: 0, errorClass: null, savedCost: stored.cost });
    this.observer.cache('hit');
    return result;
  }

  /** Stores a successful answer when the call asked for the cache, under the key it was looked up with. */
  private async remember(actor: Actor, first: AdmittedCall, served: Route, result: CallResult): Promise<void> {
    const lookup = first.cacheLookup;
    const cache = this.deps.responseCache;
    if (!lookup || !cache || result.finishReason === 'error') return;
    // A fallback's answer is another provider's: it is not the answer to the call as keyed.
    if (served.configuration?.id !== lookup.configurationId || served.kind !== lookup.provider) return;
    const { attempts: _attempts, latencyMs: _latency, ...answer } = result;
    // Best effort: the call is answered and accounted; a cache that cannot store it only costs a fresh call later.
    const stored = await cache.store.put(lookup.key, lookup.scope, { ...answer, attempts: [], latencyMs: 0 }, lookup.ttlSeconds).catch(() => false);
    if (stored) this.observer.cache('store');
  }

  /** Sends a tiny prompt through one configuration, read once; a failing provider is a result, not an error. */
  async testConfiguration(actor: Actor, configurationId: string, signal: AbortSignal): Promise<ProviderTestResult> {
    const configuration = await this.deps.routing.byId(configurationId);
    const model = configuration.config.model || defaultModel(configuration.provider);
    if (configuration.provider === 'LOCAL') return { ok: true, latencyMs: 0, model, error: null };
    const started = performance.now();
    try {
      const route = await this.prepare(actor, { configuration });
      const result = await this.generate(actor, route, this.request({ prompt: 'Reply with the single word: pong', maxTokens: 8 }), signal);
      return { ok: true, latencyMs: result.latencyMs, model: result.model, error: null };
    } catch (error) {
      return { ok: false, latencyMs: Math.round(performance.now() - started), model, error: (error as Error).message };
    }
  }

  /**
   * Stage 2: whether this route may serve this request, before anything goes upstream: what the driver
   * can do, the caller's rate limit, a cached answer (which needs nothing more), then the call's largest
   * possible cost reserved under every budget that applies. Returns the driver request with the
   * configuration's defaults filled in, and the reservation to settle.
   */
  private async admit(actor: Actor, route: Route, request: CallRequest, streamed: boolean): Promise<AdmittedCall> {
    const { tags, cache, ...content } = request;
    const driverRequest = this.capable(route, content);
    await this.deps.rateLimits?.admit(actor);
    const cacheLookup = this.cacheLookupOf(actor, route, driverRequest, cache);
    if (cacheLookup) {
      const hit = await this.deps.responseCache!.store.get(cacheLookup.key, cacheLookup.scope);
      if (hit) return { request: driverRequest, reservation: null, tags, usageId: null, cached: hit, cacheLookup: null };
      this.observer.cache('miss');
    }
    // On the books before it goes out: a process that dies mid-call leaves this PENDING row for the sweeper.
    // Under a budget, the reservation's own statement writes it (only if the call fits): one round trip.
    const pending: PendingEntry = {
      userId: actor.id,
      projectId: route.projectId,
      provider: route.kind,
      model: route.model,
      streamed,
      tags,
      deadlineAt: new Date(Date.now() + this.deadlineMs + ABANDONED_AFTER_DEADLINE_MS),
    };
    const reservation = this.deps.budgets
      ? await this.deps.budgets.reserve(actor, route.projectId, () => callBound(route, driverRequest), pending)
      : null;
    const usageId = reservation?.usageId ?? (await this.deps.usage.open(pending));
    return { request: driverRequest, reservation, tags, usageId, cached: null, cacheLookup };
  }

  /** The most a call may take, retries and fallbacks included (CALL_DEADLINE_SECONDS). */
  private get deadlineMs(): number {
    return this.deps.deadlineMs ?? DEFAULT_DEADLINE_MS;
  }

  /**
   * Where this call's answer is cached, when it asks for the cache (`cache: true`, or its configuration's
   * cacheTtlSeconds unless it says `cache: false`): one user's answers, or one project's with a projectId.
   */
  private cacheLookupOf(actor: Actor, route: Route, request: GenerateRequest, cache: boolean | undefined): CacheLookup | null {
    const responseCache = this.deps.responseCache;
    const configured = route.configuration?.config.cacheTtlSeconds;
    if (!responseCache || cache === false || (cache !== true && !configured)) return null;
    const scope: CacheScope = { userId: actor.id, projectId: route.projectId };
    const configurationId = route.configuration?.id ?? null;
    return {
      key: responseCacheKey(scope, { provider: route.kind, configurationId, model: route.model, request }),
      scope,
      provider: route.kind,
      configurationId,
      ttlSeconds: configured ?? responseCache.ttlSeconds,
    };
  }

  /** What the route's driver can map; the local provider answers no prompt. */
  private capable(route: Route, request: Omit<CallRequest, 'tags' | 'cache'>): GenerateRequest {
    if (route.kind === 'LOCAL') {
      throw badInput(
        'The local provider is rule-based and answers no free-form prompt: name another provider, or ask an admin to activate one.',
        { field: 'provider' },
      );
    }
    const { capabilities } = getDriver(route.kind);
    const name = providerName(route.kind);
    if (request.tools?.length && !capabilities.tools) throw badInput(`${name} cannot call tools through Agora.`, { field: 'tools', provider: route.kind });
    const choice = request.toolChoice?.type;
    if ((choice === 'required' || choice === 'tool') && !capabilities.forcedToolChoice) {
      throw badInput(`${name} cannot be made to call a tool: use toolChoice auto or none.`, { field: 'toolChoice', provider: route.kind });
    }
    const format = request.responseFormat?.type;
    if (format && !capabilities.responseFormats.includes(format)) {
      throw badInput(`${name} does not support the response format ${format.toUpperCase()}.`, { field: 'responseFormat', provider: route.kind });
    }
    if (format && format !== 'text' && request.tools?.length && capabilities.toolsWithResponseFormat === false) {
      throw badInput(`${name} cannot take tools and a JSON response format in one call.`, { field: 'responseFormat', provider: route.kind });
    }
    const maxTokens = request.maxTokens ?? route.defaults.maxTokens;
    const temperature = request.temperature ?? route.defaults.temperature;
    return {
      ...request,
      model: route.model,
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
    };
  }

  /** Stage 4: the call's one usage row, and in the same statement its budget reservation settled. */
  private async account(actor: Actor, route: Route, admitted: Admitted, result: CallResult, outcome: Outcome): Promise<void> {
    const { reservation } = admitted;
    const cached = outcome.savedCost !== undefined;
    const entry: UsageEntry = {
      userId: actor.id,
      projectId: route.projectId,
      provider: result.provider,
      model: result.model,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      cost: result.cost,
      latencyMs: result.latencyMs,
      status: outcome.status,
      errorClass: outcome.errorClass,
      streamed: outcome.streamed,
      attempts: cached ? 0 : Math.max(outcome.attempts, 1),
      tags: admitted.tags,
      settlement: reservation && this.deps.budgets ? this.deps.budgets.settlement(reservation, result.cost, outcome.status) : null,
      cached: cached ? { savedCost: outcome.savedCost ?? null } : null,
    };
    const settled = admitted.usageId ? await this.deps.usage.settle(admitted.usageId, entry) : await this.deps.usage.record(entry);
    if (settled.length && this.deps.budgets) await this.deps.budgets.warnCrossings(settled);
    const tokens = cached || (result.inputTokens === null && result.outputTokens === null) ? null : (result.inputTokens ?? 0) + (result.outputTokens ?? 0);
    await this.deps.rateLimits?.settle(actor, tokens);
    this.observer.call({
      provider: result.provider,
      model: result.model,
      status: outcome.status,
      streamed: outcome.streamed,
      cached,
      durationSeconds: result.latencyMs / 1000,
      inputTokens: cached ? null : result.inputTokens,
      outputTokens: cached ? null : result.outputTokens,
      cost: result.cost,
    });
  }

  private accountFailure(
    actor: Actor,
    route: Route,
    admitted: Admitted,
    started: number,
    error: unknown,
    streamed: boolean,
    attempts: number,
    tried: CallAttempt[],
    text = '',
  ): Promise<void> {
    const aborted = error instanceof ProviderCallError && error.code === 'ABORTED';
    const shutdown = error instanceof AppError && error.code === 'SERVICE_UNAVAILABLE';
    const result = resultOf(route, admitted.request, { text, model: route.model, usage: NO_USAGE, finishReason: 'error', toolCalls: [] }, started, tried);
    return this.account(actor, route, admitted, result, {
      status: aborted || shutdown ? 'CANCELLED' : 'FAILED',
      streamed,
      attempts,
      errorClass: shutdown ? 'SHUTDOWN' : error instanceof ProviderCallError ? error.code : error instanceof AppError ? error.code : 'INTERNAL',
    });
  }
}

/** A cached answer's text as a stream replays it: in pieces of about a line of words. */
function* replayDeltas(text: string): Generator<string> {
  const pieces = text.match(/[\s\S]{1,80}(?:\s|$)|[\s\S]{1,80}/g) ?? [];
  yield* pieces;
}

/** Why a call's own controller was aborted when its deadline passed. */
class DeadlinePassed extends Error {}

/** What ends a call besides its caller: its deadline, and its process shutting down. */
interface CallEnds {
  deadlineAt: number;
  shutdown: AbortSignal | null;
}

/**
 * An AbortController that the caller's signal aborts, and the call's deadline and the process's shutdown,
 * until released. Plain listeners on the caller's signal, never AbortSignal.any over it (see generate).
 */
class LinkedController extends AbortController {
  private readonly caller: AbortSignal;
  private readonly limits: CallEnds;
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly forward = () => this.abort(this.caller.reason);
  private readonly stop = () => this.abort(new ShuttingDown());

  constructor(caller: AbortSignal, limits: CallEnds) {
    super();
    this.caller = caller;
    this.limits = limits;
    if (caller.aborted) this.forward();
    else caller.addEventListener('abort', this.forward, { once: true });
    if (limits.shutdown?.aborted) this.stop();
    else limits.shutdown?.addEventListener('abort', this.stop, { once: true });
    this.timer = setTimeout(() => this.abort(new DeadlinePassed('deadline')), Math.max(0, limits.deadlineAt - Date.now()));
  }

  release(): void {
    clearTimeout(this.timer);
    this.caller.removeEventListener('abort', this.forward);
    this.limits.shutdown?.removeEventListener('abort', this.stop);
  }

  get deadlinePassed(): boolean {
    return this.signal.reason instanceof DeadlinePassed;
  }

  get shutDown(): boolean {
    return this.signal.reason instanceof ShuttingDown;
  }
}

/** The error a call ends with: its own; when its deadline cut it, a TIMEOUT that says so; when a shutdown did, SERVICE_UNAVAILABLE. */
function pastDeadline(upstream: LinkedController, route: Route, error: unknown): unknown {
  if (upstream.shutDown) return shuttingDownError();
  if (!upstream.deadlinePassed) return error;
  return new ProviderCallError({
    provider: route.kind,
    code: 'TIMEOUT',
    retryable: false,
    message: `The call to ${providerName(route.kind)} ran past its deadline (retries and fallbacks included) and was ended.`,
  });
}

function resultOf(route: Route, request: GenerateRequest, answer: Answer, started: number, attempts: CallAttempt[]): CallResult {
  const { inputTokens, outputTokens } = answer.usage;
  const model = answer.model || route.model;
  const ok = answer.finishReason !== 'error';
  return {
    text: answer.text,
    provider: route.kind,
    model,
    inputTokens,
    outputTokens,
    tokensUsed: inputTokens !== null && outputTokens !== null ? inputTokens + outputTokens : null,
    cost: computeCost(route.kind, model, answer.usage, new Date(), route.configuration?.config.prices),
    latencyMs: Math.round(performance.now() - started),
    finishReason: answer.finishReason,
    toolCalls: parsedToolCalls(answer.toolCalls),
    ...parsedAnswer(answer.text, ok && answer.toolCalls.length === 0 ? request.responseFormat : undefined),
    cached: false,
    attempts: [...attempts],
  };
}
