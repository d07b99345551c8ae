// The execute stage's route through a configuration's fallbacks: which configuration a call tries next,
// what each try came to (LlmResult.attempts), when a failure moves the call on, and what the circuit
// breaker is told. The rule for "moves on" lives here and only here (fallsBack).
import { AppError } from '../../errors.ts';
import { defaultModel } from '../../llm/catalogue.ts';
import { ProviderCallError } from '../../llm/errors.ts';
import { providerName } from '../../llm/provider-kinds.ts';
import type { GenerateRequest } from '../../llm/types.ts';
import type { Reservation } from '../budgets/budgets.ledger.ts';
import type { RoutingConfiguration } from '../providers/routing-cache.ts';
import type { CallObserver } from './call-observer.ts';
import type { CallAttempt } from './call-result.ts';
import type { Route } from './call-router.ts';

/** What the breaker says before a try: go, go as the half-open trial, or skip (see providers/circuit-breaker.ts). */
export type BreakerDecision = 'closed' | 'trial' | 'open';

/** The circuit breaker as the call path uses it. */
export interface Breaker {
  admit(configurationId: string): Promise<BreakerDecision>;
  failure(configurationId: string, message: string): Promise<void>;
  success(configurationId: string, decision: BreakerDecision): Promise<void>;
}

/** What the admit stage lets go out through one configuration: the driver request and what it holds under budgets. */
export interface Admitted {
  request: GenerateRequest;
  reservation: Reservation | null;
  tags: string[];
  /** The call's PENDING usage row (one per call, whichever configuration answers); null: written at the end. */
  usageId: string | null;
}

/** One configuration's turn at the call. */
export interface Leg {
  route: Route;
  admitted: Admitted;
  decision: BreakerDecision;
}

export interface ChainSteps {
  /** Routes and admits the call through a fallback configuration; throws when it cannot take it (no key, cannot do what is asked, over budget). */
  enter(configuration: RoutingConfiguration, from: Route): Promise<{ route: Route; admitted: Admitted }>;
  /** Gives back what a configuration's turn held (its budget reservation) as the call moves on. */
  leave(admitted: Admitted): Promise<void>;
  breaker: Breaker | null;
  observer: CallObserver;
}

/**
 * Whether a failure moves the call on to the next configuration: the provider was unreachable, slow,
 * overloaded or broken (timeout, connection refused, 5xx, 429 once its retries are spent). Not the
 * caller's fault (400), a rejected or missing key, or a cancelled call.
 */
export function fallsBack(error: unknown): boolean {
  if (!(error instanceof ProviderCallError)) return false;
  if (error.code === 'TIMEOUT' || error.code === 'RATE_LIMITED') return true;
  return error.code === 'PROVIDER_ERROR' && error.retryable;
}

/** Whether a failure tells something about the configuration's health (and so counts for its breaker). */
function countsAgainst(route: Route, error: unknown): boolean {
  if (fallsBack(error)) return true;
  // A key the provider refused is the configuration's problem, unless it was the caller's own key.
  return error instanceof ProviderCallError && error.code === 'API_KEY_REJECTED' && route.keySource !== 'user';
}

function codeOf(error: unknown): string {
  if (error instanceof ProviderCallError) return error.code;
  if (error instanceof AppError) return error.code;
  return 'INTERNAL';
}

/** The error of a call whose every configuration was skipped by its circuit breaker. */
export function circuitOpenError(route: Route): ProviderCallError {
  return new ProviderCallError({
    provider: route.kind,
    code: 'PROVIDER_ERROR',
    message: `${providerName(route.kind)} (configuration "${route.configuration?.name ?? route.kind}") kept failing and is skipped for a cool-down; try again shortly or ask an admin to reset its health.`,
  });
}

export class CallChain {
  readonly attempts: CallAttempt[] = [];
  private readonly steps: ChainSteps;
  private readonly pending: RoutingConfiguration[];
  private current: { route: Route; admitted: Admitted };
  private started = false;
  /** The failure of the last configuration actually tried; else why the others were skipped. */
  private tried: unknown = null;
  private skipped: unknown = null;

  constructor(steps: ChainSteps, first: { route: Route; admitted: Admitted }) {
    this.steps = steps;
    this.current = first;
    this.pending = [...first.route.fallbacks];
  }

  /** The configuration whose usage row the call writes: the one that answered, or the last one tried. */
  get holder(): { route: Route; admitted: Admitted } {
    return this.current;
  }

  /** Why the call failed, once `next` returned null. */
  get error(): unknown {
    return this.tried ?? this.skipped ?? circuitOpenError(this.current.route);
  }

  /** The next configuration to try, or null when none is left. Skips (and records) what cannot be tried. */
  async next(): Promise<Leg | null> {
    for (;;) {
      if (this.started) {
        const configuration = this.pending.shift();
        if (!configuration) return null;
        const from = this.current.route;
        await this.steps.leave(this.current.admitted);
        this.current = { ...this.current, admitted: { ...this.current.admitted, reservation: null } };
        try {
          this.current = await this.steps.enter(configuration, from);
        } catch (error) {
          this.record(configuration, false, codeOf(error), 0);
          this.skipped = error;
          continue;
        }
        this.steps.observer.fallback(from.kind, this.current.route.kind);
      }
      this.started = true;
      const { route } = this.current;
      const id = route.configuration?.id;
      // The breaker is advice: when it cannot be read (its database is down), the call is tried.
      const decision: BreakerDecision = id && this.steps.breaker ? await this.steps.breaker.admit(id).catch(() => 'closed' as const) : 'closed';
      if (decision === 'open') {
        this.record(route, false, 'CIRCUIT_OPEN', 0);
        this.skipped = circuitOpenError(route);
        continue;
      }
      return { ...this.current, decision };
    }
  }

  /** The leg answered. */
  async succeeded(leg: Leg, latencyMs: number): Promise<void> {
    this.record(leg.route, true, null, latencyMs);
    const id = leg.route.configuration?.id;
    if (id && this.steps.breaker) await this.steps.breaker.success(id, leg.decision).catch(() => {});
  }

  /**
   * The leg failed: recorded, told to its breaker when it says something of the configuration's health,
   * and answered with whether the call goes on (a retryable failure, nothing shown to the client yet, and
   * another configuration left).
   */
  async failed(leg: Leg, error: unknown, latencyMs: number, clientSawOutput: boolean): Promise<boolean> {
    this.record(leg.route, false, codeOf(error), latencyMs);
    this.tried = error;
    const id = leg.route.configuration?.id;
    if (id && this.steps.breaker && countsAgainst(leg.route, error)) {
      // Best effort, like success: a breaker that cannot count must not cost the call its usage row.
      await this.steps.breaker.failure(id, error instanceof Error ? error.message : String(error)).catch(() => {});
    }
    return !clientSawOutput && fallsBack(error) && this.pending.length > 0;
  }

  private record(target: Route | RoutingConfiguration, ok: boolean, errorCode: string | null, latencyMs: number): void {
    const attempt: CallAttempt =
      'kind' in target
        ? { provider: target.kind, model: target.model, configurationId: target.configuration?.id ?? null, ok, errorCode, latencyMs }
        : { provider: target.provider, model: target.config.model || defaultModel(target.provider), configurationId: target.id, ok, errorCode, latencyMs };
    this.attempts.push(attempt);
  }
}
