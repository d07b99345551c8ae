import { badInput } from '../../errors.ts';
import { computeCost, defaultModel } from '../../llm/catalogue.ts';
import { ProviderCallError } from '../../llm/errors.ts';
import { providerName } from '../../llm/provider-kinds.ts';
import { getDriver } from '../../llm/registry.ts';
import { streamWithRetry, withRetry, type RetryOptions } from '../../llm/retry.ts';
import type { FinishReason, GenerateRequest, ProviderKind, TokenUsage, ToolCall } from '../../llm/types.ts';
import type { Actor } from '../auth/actor.ts';
import type { UsageWriter } from '../usage/usage.writer.ts';
import type { BudgetLedger, Reservation } from '../budgets/budgets.ledger.ts';
import type { RateLimiter } from '../ratelimits/rate-limiter.ts';
import { type IdempotencyService, requestHash } from '../idempotency/idempotency.service.ts';
import { callBound } from './call-bound.ts';
import { toAppError } from './call-errors.ts';
import { type CallLimits, type CallRequest, type CallRequestInput, DEFAULT_CALL_LIMITS, toCallRequest } from './call-request.ts';
import { type CallResult, type CallStreamEvent, parsedAnswer, parsedToolCalls } from './call-result.ts';
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
}

/** What the admit stage lets go out: the driver request and what it holds under budgets. */
interface Admitted {
  request: GenerateRequest;
  reservation: Reservation | null;
  tags: string[];
}

const DEFAULT_RETRY = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 20_000 };
const DEFAULT_STREAM_IDLE_MS = 60_000;
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
    const admitted = await this.admit(actor, route, request);
    const driverRequest = admitted.request;
    const started = performance.now();
    let attempts = 0;
    // The driver gets a plain signal of our own: the HTTP server's request signal stops telling its own
    // listeners once an SDK builds AbortSignal.any() over it, and a disconnect would then read as a
    // retryable timeout (a second, paid request).
    const upstream = linkedController(signal);
    try {
      const answer = await withRetry(
        (attempt) => {
          attempts = attempt;
          return getDriver(route.kind).generate(driverRequest, route.settings, upstream.signal);
        },
        { ...DEFAULT_RETRY, ...this.deps.retry, signal: upstream.signal },
      );
      const result = resultOf(route, driverRequest, answer, started);
      await this.account(actor, route, admitted, result, { status: 'SUCCEEDED', streamed: false, attempts, errorClass: null });
      return result;
    } catch (error) {
      await this.accountFailure(actor, route, admitted, started, error, false, attempts);
      throw toAppError(route.kind, error);
    } finally {
      upstream.release();
    }
  }

  /** Streams text deltas, then one final event with the result. Stopping early aborts the provider call. */
  async *stream(actor: Actor, route: Route, request: CallRequest, signal: AbortSignal): AsyncGenerator<CallStreamEvent> {
    const admitted = await this.admit(actor, route, request);
    const driverRequest = admitted.request;
    const upstream = linkedController(signal);
    const started = performance.now();
    let attempts = 0;
    let text = '';
    let accounted = false;
    // A stream that goes silent would hold a worker (and a client) forever: a gap this long ends it.
    const idleMs = route.settings.timeoutMs ?? DEFAULT_STREAM_IDLE_MS;
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
      const parts = streamWithRetry(
        (attempt) => {
          attempts = attempt;
          return getDriver(route.kind).stream(driverRequest, route.settings, upstream.signal);
        },
        { ...DEFAULT_RETRY, ...this.deps.retry, signal: upstream.signal },
      );
      for await (const part of parts) {
        watchIdle();
        if (part.type === 'text-delta') {
          text += part.text;
          yield { delta: part.text, done: false };
        } else if (part.type === 'error') {
          throw part.error;
        } else if (part.type === 'finish') {
          const result = resultOf(route, driverRequest, { ...part, model: part.model || route.model, text }, started);
          accounted = true;
          await this.account(actor, route, admitted, result, { status: 'SUCCEEDED', streamed: true, attempts, errorClass: null });
          yield { done: true, result };
          return;
        }
      }
      throw new ProviderCallError({ provider: route.kind, code: 'PROVIDER_ERROR', message: 'The stream ended without a final event.' });
    } catch (caught) {
      accounted = true;
      const error = stalled
        ? new ProviderCallError({
            provider: route.kind,
            code: 'TIMEOUT',
            retryable: false,
            message: `${providerName(route.kind)} stopped sending for ${Math.round(idleMs / 1000)} s; the stream was ended.`,
          })
        : caught;
      await this.accountFailure(actor, route, admitted, started, error, true, attempts);
      throw toAppError(route.kind, error);
    } finally {
      clearTimeout(idleTimer);
      upstream.release();
      if (!accounted) {
        // The consumer went away mid-stream (client disconnect or unsubscribe): stop paying for it.
        upstream.abort();
        const result = resultOf(route, driverRequest, { text, model: route.model, usage: NO_USAGE, finishReason: 'other', toolCalls: [] }, started);
        await this.account(actor, route, admitted, result, { status: 'CANCELLED', streamed: true, attempts, errorClass: 'ABORTED' });
      }
    }
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
   * can do, then the call's largest possible cost reserved under every budget that applies. Returns the
   * driver request with the configuration's defaults filled in, and the reservation to settle.
   */
  private async admit(actor: Actor, route: Route, request: CallRequest): Promise<Admitted> {
    const { tags, ...content } = request;
    const driverRequest = this.capable(route, content);
    await this.deps.rateLimits?.admit(actor);
    const reservation = this.deps.budgets ? await this.deps.budgets.reserve(actor, route.projectId, () => callBound(route, driverRequest)) : null;
    return { request: driverRequest, reservation, tags };
  }

  /** What the route's driver can map; the local provider answers no prompt. */
  private capable(route: Route, request: Omit<CallRequest, 'tags'>): GenerateRequest {
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
    const settled = await this.deps.usage.record({
      userId: actor.id,
      projectId: route.projectId,
      provider: route.kind,
      model: result.model,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      cost: result.cost,
      latencyMs: result.latencyMs,
      status: outcome.status,
      errorClass: outcome.errorClass,
      streamed: outcome.streamed,
      attempts: Math.max(outcome.attempts, 1),
      tags: admitted.tags,
      settlement: reservation && this.deps.budgets ? this.deps.budgets.settlement(reservation, result.cost, outcome.status) : null,
    });
    if (settled.length && this.deps.budgets) await this.deps.budgets.warnCrossings(settled);
    await this.deps.rateLimits?.settle(actor, result.inputTokens === null && result.outputTokens === null ? null : (result.inputTokens ?? 0) + (result.outputTokens ?? 0));
  }

  private accountFailure(actor: Actor, route: Route, admitted: Admitted, started: number, error: unknown, streamed: boolean, attempts: number): Promise<void> {
    const aborted = error instanceof ProviderCallError && error.code === 'ABORTED';
    const result = resultOf(route, admitted.request, { text: '', model: route.model, usage: NO_USAGE, finishReason: 'error', toolCalls: [] }, started);
    return this.account(actor, route, admitted, result, {
      status: aborted ? 'CANCELLED' : 'FAILED',
      streamed,
      attempts,
      errorClass: error instanceof ProviderCallError ? error.code : 'INTERNAL',
    });
  }
}

/** An AbortController that the caller's signal aborts, until released. */
function linkedController(signal: AbortSignal): AbortController & { release(): void } {
  const controller = new AbortController();
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  return Object.assign(controller, { release: () => signal.removeEventListener('abort', forward) });
}

function resultOf(route: Route, request: GenerateRequest, answer: Answer, started: number): CallResult {
  const { inputTokens, outputTokens } = answer.usage;
  const model = answer.model || route.model;
  const latencyMs = Math.round(performance.now() - started);
  const ok = answer.finishReason !== 'error';
  return {
    text: answer.text,
    provider: route.kind,
    model,
    inputTokens,
    outputTokens,
    tokensUsed: inputTokens !== null && outputTokens !== null ? inputTokens + outputTokens : null,
    cost: computeCost(route.kind, model, answer.usage, new Date(), route.configuration?.config.prices),
    latencyMs,
    finishReason: answer.finishReason,
    toolCalls: parsedToolCalls(answer.toolCalls),
    ...parsedAnswer(answer.text, ok && answer.toolCalls.length === 0 ? request.responseFormat : undefined),
    cached: false,
    attempts: [{ provider: route.kind, model, configurationId: route.configuration?.id ?? null, ok, errorCode: null, latencyMs }],
  };
}
