import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, badInput, type ErrorCode } from '../../errors.ts';
import { computeCost, defaultModel, isKnownModel, modelsFor } from '../../llm/catalogue.ts';
import { ProviderCallError } from '../../llm/errors.ts';
import { providerName } from '../../llm/provider-kinds.ts';
import { getDriver } from '../../llm/registry.ts';
import { streamWithRetry, withRetry, type RetryOptions } from '../../llm/retry.ts';
import type { DriverSettings, GenerateRequest, ProviderKind, TokenUsage } from '../../llm/types.ts';
import { endpointOf, type ProviderConfig } from '../providers/provider-config.ts';
import type { ProvidersService } from '../providers/providers.service.ts';
import type { UsageService } from '../usage/usage.service.ts';
import type { RoutingConfiguration } from './routing-cache.ts';
import { SecretDecryptionError } from '../../security/secret-box.ts';

export interface CallInput {
  prompt: string;
  system?: string | null;
  provider?: ProviderKind | null;
  model?: string | null;
  maxTokens?: number | null;
  temperature?: number | null;
  projectId?: string | null;
  /** Serve the call with this configuration (testIntelligenceProvider); not part of the public input. */
  configurationId?: string;
}

export interface CallResult {
  text: string;
  provider: ProviderKind;
  model: string;
  inputTokens: number | null;
  outputTokens: number | null;
  tokensUsed: number | null;
  cost: string | null;
  latencyMs: number;
}

export type CallStreamEvent = { delta: string; done: false } | { done: true; result: CallResult };

export interface ProviderTestResult {
  ok: boolean;
  latencyMs: number;
  model: string;
  error: string | null;
}

export interface Route {
  kind: ProviderKind;
  model: string;
  configuration: RoutingConfiguration | null;
  request: GenerateRequest;
  settings: DriverSettings;
}

export interface Caller {
  userId: string;
  /** Admins may route through any project; members only through their own. */
  role?: 'ADMIN' | 'MEMBER';
}

/** The LLM a project routes to; NOT_FOUND when the caller may not use the project. */
export type ProjectLlmLookup = (caller: Caller, projectId: string) => Promise<{ provider: ProviderKind | null; model: string | null }>;

/** The provider keys of last resort, from the environment (see config). */
export type EnvironmentKeys = Partial<Record<ProviderKind, string | undefined>>;

/** Looks up the caller's own key for a provider (the keys module); null when they have none. */
export type UserKeyLookup = (userId: string, kind: ProviderKind) => Promise<string | null>;

export interface CallsDeps {
  providers: ProvidersService;
  usage: UsageService;
  environmentKeys: EnvironmentKeys;
  userKey: UserKeyLookup;
  projectLlm: ProjectLlmLookup;
  retry?: Partial<Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>>;
}

const DEFAULT_RETRY = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 20_000 };
const DEFAULT_STREAM_IDLE_MS = 60_000;

/**
 * Routes a call (explicit provider -> project -> active configuration -> LOCAL), resolves its key
 * (caller's own -> configuration's -> environment), runs it through the driver with our retries, and
 * records exactly one usage row for it, whatever the outcome.
 */
export class CallsService {
  private readonly em: EntityManager;
  private readonly deps: CallsDeps;

  constructor(em: EntityManager, deps: CallsDeps) {
    this.em = em;
    this.deps = deps;
  }

  async route(caller: Caller, input: CallInput): Promise<Route> {
    const project = input.projectId ? await this.deps.projectLlm(caller, input.projectId) : null;
    const pinned = input.configurationId ? await this.deps.providers.routingConfiguration(input.configurationId) : null;
    const named = pinned?.provider ?? input.provider ?? project?.provider ?? null;
    const active = pinned || named ? null : await this.deps.providers.routingActive();
    const kind: ProviderKind = named ?? active?.provider ?? 'LOCAL';
    const configuration = pinned ?? (named ? await this.deps.providers.routingForKind(kind) : active);
    const config: ProviderConfig = configuration?.config ?? {};
    const projectModel = project?.provider === kind ? project.model : null;
    const model = input.model?.trim() || projectModel || config.model || defaultModel(kind);
    if (!isKnownModel(kind, model)) {
      const known = modelsFor(kind).map((entry) => entry.id).join(', ');
      throw badInput(`${providerName(kind)} has no model "${model}". Known models: ${known}.`, { field: 'model' });
    }
    const driver = getDriver(kind);
    // Testing a configuration tests its own key, not the admin's.
    const apiKey = driver.requiresApiKey ? await this.resolveKey(pinned ? null : caller, kind, configuration) : null;
    return {
      kind,
      model,
      configuration,
      request: {
        model,
        messages: [...(input.system ? [{ role: 'system' as const, content: input.system }] : []), { role: 'user' as const, content: input.prompt }],
        maxTokens: input.maxTokens ?? config.maxTokens,
        temperature: input.temperature ?? config.temperature,
      },
      settings: { apiKey, baseUrl: endpointOf(config), tokenUrl: config.tokenUrl, timeoutMs: config.timeoutMs },
    };
  }

  /** A free-form prompt: refused by the rule-based local provider, which answers no prompt. */
  async generate(caller: Caller, input: CallInput, signal: AbortSignal): Promise<CallResult> {
    validatePrompt(input);
    const route = await this.route(caller, input);
    refuseLocal(route.kind);
    const started = performance.now();
    let attempts = 0;
    try {
      const result = await withRetry(
        (attempt) => {
          attempts = attempt;
          return getDriver(route.kind).generate(route.request, route.settings, signal);
        },
        { ...DEFAULT_RETRY, ...this.deps.retry, signal },
      );
      const outcome = this.resultOf(route, result.model || route.model, result.usage, result.text, started);
      await this.record(caller, input, route, outcome, { status: 'SUCCEEDED', streamed: false, attempts });
      return outcome;
    } catch (error) {
      await this.recordFailure(caller, input, route, started, error, false, attempts);
      throw toAppError(route.kind, error);
    }
  }

  /** Streams text deltas, then one final event with the result. Stopping early aborts the provider call. */
  async *stream(caller: Caller, input: CallInput, signal: AbortSignal): AsyncGenerator<CallStreamEvent> {
    validatePrompt(input);
    const route = await this.route(caller, input);
    refuseLocal(route.kind);
    const upstream = new AbortController();
    const forward = () => upstream.abort(signal.reason);
    if (signal.aborted) forward();
    signal.addEventListener('abort', forward, { once: true });
    const started = performance.now();
    let attempts = 0;
    let text = '';
    let finished = false;
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
          return getDriver(route.kind).stream(route.request, route.settings, upstream.signal);
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
          const result = this.resultOf(route, part.model || route.model, part.usage, text, started);
          finished = true;
          await this.record(caller, input, route, result, { status: 'SUCCEEDED', streamed: true, attempts });
          yield { done: true, result };
          return;
        }
      }
      throw new ProviderCallError({ provider: route.kind, code: 'PROVIDER_ERROR', message: 'The stream ended without a final event.' });
    } catch (caught) {
      finished = true;
      const error = stalled
        ? new ProviderCallError({
            provider: route.kind,
            code: 'TIMEOUT',
            retryable: false,
            message: `${providerName(route.kind)} stopped sending for ${Math.round(idleMs / 1000)} s; the stream was ended.`,
          })
        : caught;
      await this.recordFailure(caller, input, route, started, error, true, attempts);
      throw toAppError(route.kind, error);
    } finally {
      clearTimeout(idleTimer);
      signal.removeEventListener('abort', forward);
      if (!finished) {
        // The consumer went away mid-stream (client disconnect or unsubscribe): stop paying for it.
        upstream.abort();
        await this.record(caller, input, route, this.resultOf(route, route.model, { inputTokens: null, outputTokens: null }, text, started), {
          status: 'CANCELLED',
          streamed: true,
          attempts,
          errorClass: 'ABORTED',
        });
      }
    }
  }

  /** Whether `kind` can serve the caller now: no key needed, or a key is found where routing would look. */
  async isAvailable(caller: Caller, kind: ProviderKind): Promise<boolean> {
    if (!getDriver(kind).requiresApiKey) return true;
    if (this.deps.environmentKeys[kind]) return true;
    if (await this.deps.userKey(caller.userId, kind)) return true;
    const configuration = await this.deps.providers.routingForKind(kind);
    return configuration !== null && configuration.apiKeyVersion !== null;
  }

  /** Sends a tiny prompt through one configuration; a failing provider is a result, not an error. */
  async testConfiguration(caller: Caller, configurationId: string, signal: AbortSignal): Promise<ProviderTestResult> {
    const configuration = await this.deps.providers.routingConfiguration(configurationId);
    const model = configuration.config.model || defaultModel(configuration.provider);
    if (configuration.provider === 'LOCAL') return { ok: true, latencyMs: 0, model, error: null };
    const started = performance.now();
    try {
      const result = await this.generate(
        caller,
        { prompt: 'Reply with the single word: pong', maxTokens: 8, configurationId },
        signal,
      );
      return { ok: true, latencyMs: result.latencyMs, model: result.model, error: null };
    } catch (error) {
      return { ok: false, latencyMs: Math.round(performance.now() - started), model, error: (error as Error).message };
    }
  }

  private async resolveKey(caller: Caller | null, kind: ProviderKind, configuration: RoutingConfiguration | null): Promise<string> {
    const own = caller ? await unsealed(() => this.deps.userKey(caller.userId, kind), 'Your stored key for this provider') : null;
    if (own) return own;
    const configured = configuration
      ? await unsealed(async () => this.deps.providers.routingKeyOf(configuration), `The key of configuration "${configuration.name}"`)
      : null;
    if (configured) return configured;
    const fromEnvironment = this.deps.environmentKeys[kind];
    if (fromEnvironment) return fromEnvironment;
    throw new AppError(
      'API_KEY_REQUIRED',
      `${providerName(kind)} needs an API key: add your own with addApiKey, or ask an admin to configure one.`,
      { provider: kind },
    );
  }

  private resultOf(route: Route, model: string, usage: TokenUsage, text: string, started: number): CallResult {
    const { inputTokens, outputTokens } = usage;
    return {
      text,
      provider: route.kind,
      model,
      inputTokens,
      outputTokens,
      tokensUsed: inputTokens !== null && outputTokens !== null ? inputTokens + outputTokens : null,
      cost: computeCost(route.kind, model, usage),
      latencyMs: Math.round(performance.now() - started),
    };
  }

  private record(
    caller: Caller,
    input: CallInput,
    route: Route,
    result: CallResult,
    outcome: { status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'; streamed: boolean; attempts: number; errorClass?: string },
  ): Promise<void> {
    return this.deps.usage.record({
      userId: caller.userId,
      projectId: input.projectId ?? null,
      provider: route.kind,
      model: result.model,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      cost: result.cost,
      latencyMs: result.latencyMs,
      status: outcome.status,
      errorClass: outcome.errorClass ?? null,
      streamed: outcome.streamed,
      attempts: Math.max(outcome.attempts, 1),
    });
  }

  private recordFailure(
    caller: Caller,
    input: CallInput,
    route: Route,
    started: number,
    error: unknown,
    streamed: boolean,
    attempts: number,
  ): Promise<void> {
    const aborted = error instanceof ProviderCallError && error.code === 'ABORTED';
    const result = this.resultOf(route, route.model, { inputTokens: null, outputTokens: null }, '', started);
    return this.record(caller, input, route, result, {
      status: aborted ? 'CANCELLED' : 'FAILED',
      streamed,
      attempts,
      errorClass: error instanceof ProviderCallError ? error.code : 'INTERNAL',
    });
  }
}

/** A secret that fails its integrity check is reported plainly (and never used), not masked. */
async function unsealed(read: () => Promise<string | null>, what: string): Promise<string | null> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof SecretDecryptionError) {
      throw new AppError('INTERNAL_SERVER_ERROR', `${what} failed its integrity check and was not used; add it again.`);
    }
    throw error;
  }
}

function validatePrompt(input: CallInput): void {
  if (!input.prompt.trim()) throw badInput('prompt must not be empty.', { field: 'prompt' });
  if (input.maxTokens !== null && input.maxTokens !== undefined && (input.maxTokens < 1 || input.maxTokens > 1_000_000)) {
    throw badInput('maxTokens must be between 1 and 1000000.', { field: 'maxTokens' });
  }
  if (input.temperature !== null && input.temperature !== undefined && (input.temperature < 0 || input.temperature > 2)) {
    throw badInput('temperature must be between 0 and 2.', { field: 'temperature' });
  }
}

function refuseLocal(kind: ProviderKind): void {
  if (kind === 'LOCAL') {
    throw badInput(
      'The local provider is rule-based and answers no free-form prompt: name another provider, or ask an admin to activate one.',
      { field: 'provider' },
    );
  }
}

const CODE_OF: Record<ProviderCallError['code'], ErrorCode> = {
  PROVIDER_ERROR: 'PROVIDER_ERROR',
  RATE_LIMITED: 'RATE_LIMITED',
  API_KEY_REQUIRED: 'API_KEY_REQUIRED',
  API_KEY_REJECTED: 'PROVIDER_ERROR',
  TIMEOUT: 'PROVIDER_ERROR',
  ABORTED: 'PROVIDER_ERROR',
  BAD_REQUEST: 'BAD_USER_INPUT',
};

/** Provider failures as the contract's errors; the message names the provider and never a secret. */
export function toAppError(kind: ProviderKind, error: unknown): Error {
  if (error instanceof AppError) return error;
  if (error instanceof ProviderCallError) {
    return new AppError(CODE_OF[error.code], error.message, {
      provider: kind,
      ...(error.statusCode ? { status: error.statusCode } : {}),
      ...(error.retryAfterMs !== null ? { retryAfterMs: error.retryAfterMs } : {}),
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

