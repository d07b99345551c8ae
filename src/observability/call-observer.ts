// The call pipeline's observer (modules/calls/call-observer.ts): Prometheus counters of calls, tokens,
// cost, attempts, fallbacks and cache results, and, with tracing on, one span per provider attempt with
// OpenTelemetry's gen_ai.* attributes. It only ever receives bounded facts (kinds, model ids, statuses,
// counts), never a prompt, an answer, a key or a user.
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Counter, Histogram } from 'prom-client';
import { findModel } from '../llm/catalogue.ts';
import type { FinishReason, ProviderKind } from '../llm/types.ts';
import type { AttemptHandle, AttemptInfo, AttemptOutcome, CallObserver, FinishedCall } from '../modules/calls/call-observer.ts';
import { BoundedLabel, OTHER, registry } from './metrics.ts';
import { tracer, tracingEnabled } from './trace-context.ts';

const calls = new Counter({
  name: 'agora_llm_calls_total',
  help: 'Provider calls (callLlm, llmStream, the OpenAI-compatible endpoint, analyses), one per usage row, by outcome; cached answers included.',
  labelNames: ['provider', 'model', 'status'] as const,
  registers: [registry],
});

const tokens = new Counter({
  name: 'agora_llm_tokens_total',
  help: 'Tokens providers reported, by direction (input, output); calls that reported none add nothing.',
  labelNames: ['provider', 'model', 'direction'] as const,
  registers: [registry],
});

const durations = new Histogram({
  name: 'agora_llm_call_duration_seconds',
  help: 'Duration of provider calls from admission to the last byte, retries and fallbacks included (cached answers excluded).',
  labelNames: ['provider', 'model'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
  registers: [registry],
});

const cost = new Counter({
  name: 'agora_llm_cost_usd_total',
  help: 'Cost of provider calls in USD at the catalogue prices in force (calls of unknown cost add nothing; exact figures are in `usage`).',
  labelNames: ['provider', 'model'] as const,
  registers: [registry],
});

const attempts = new Counter({
  name: 'agora_llm_attempts_total',
  help: 'Attempts on one provider configuration (its retries inside), by outcome: ok, or the error code.',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

const fallbacks = new Counter({
  name: 'agora_llm_fallbacks_total',
  help: 'Calls that went on from a failing configuration to its next fallback.',
  labelNames: ['from', 'to'] as const,
  registers: [registry],
});

const cacheResults = new Counter({
  name: 'agora_response_cache_total',
  help: 'Response cache lookups and stores: hit, miss, store.',
  labelNames: ['result'] as const,
  registers: [registry],
});

/** Error codes are a closed union today; this keeps a future free-form one from opening the label. */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,39}$/;
const errorCodes = new BoundedLabel(50);

function outcomeOf(outcome: AttemptOutcome): string {
  if (outcome.ok) return 'ok';
  return outcome.errorCode && ERROR_CODE.test(outcome.errorCode) ? errorCodes.of(outcome.errorCode) : 'ERROR';
}

/** The model label: the catalogue's id for a model it knows (dated snapshots and aliases share it), else `other`. */
export function modelLabel(provider: ProviderKind, model: string): string {
  const known = findModel(provider, model);
  return known ? (known.catalogueId ?? known.id) : OTHER;
}

/**
 * `gen_ai.system` and `gen_ai.provider.name`: the semantic conventions' well-known values where there is one
 * (openai, anthropic, gcp.gemini, mistral_ai, xai / x_ai), else a lower-case name of our own.
 */
const GEN_AI_SYSTEMS: Record<ProviderKind, { system: string; providerName: string }> = {
  LOCAL: { system: 'agora_local', providerName: 'agora_local' },
  OPENAI: { system: 'openai', providerName: 'openai' },
  CLAUDE: { system: 'anthropic', providerName: 'anthropic' },
  GEMINI: { system: 'gcp.gemini', providerName: 'gcp.gemini' },
  COPILOT: { system: 'github_copilot', providerName: 'github_copilot' },
  GROK: { system: 'xai', providerName: 'x_ai' },
  OLLAMA: { system: 'ollama', providerName: 'ollama' },
  MISTRAL: { system: 'mistral_ai', providerName: 'mistral_ai' },
};

/** Our normalized finish reasons, in the conventions' spelling. */
const FINISH_REASONS: Record<FinishReason, string | null> = {
  stop: 'stop',
  length: 'length',
  'content-filter': 'content_filter',
  'tool-calls': 'tool_calls',
  error: 'error',
  other: 'other',
  unknown: null,
};

function startAttemptSpan(info: AttemptInfo): Span {
  const { system, providerName } = GEN_AI_SYSTEMS[info.provider];
  // Model ids outside the catalogue are accepted as callers write them: a bounded length keeps names sane.
  const model = info.model.slice(0, 128);
  return tracer().startSpan(`chat ${model}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': system,
      'gen_ai.provider.name': providerName,
      'gen_ai.request.model': model,
      'gen_ai.request.stream': info.streamed,
      ...(info.configurationId ? { 'agora.provider.configuration_id': info.configurationId } : {}),
    },
  });
}

function endAttemptSpan(span: Span, outcome: AttemptOutcome): void {
  const finish = outcome.finishReason ? FINISH_REASONS[outcome.finishReason] : null;
  if (finish) span.setAttribute('gen_ai.response.finish_reasons', [finish]);
  if (outcome.inputTokens !== null) span.setAttribute('gen_ai.usage.input_tokens', outcome.inputTokens);
  if (outcome.outputTokens !== null) span.setAttribute('gen_ai.usage.output_tokens', outcome.outputTokens);
  if (!outcome.ok) {
    // The code only: a provider's message may quote the request.
    const code = outcomeOf(outcome);
    span.setAttribute('error.type', code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  }
  span.end();
}

function metricsOnlyAttempt(info: AttemptInfo): AttemptHandle {
  return {
    run: (fn) => fn(),
    end: (outcome) => attempts.inc({ provider: info.provider, outcome: outcomeOf(outcome) }),
  };
}

function tracedAttempt(info: AttemptInfo): AttemptHandle {
  const span = startAttemptSpan(info);
  const inside = trace.setSpan(context.active(), span);
  let ended = false;
  return {
    run: (fn) => context.with(inside, fn),
    end(outcome) {
      attempts.inc({ provider: info.provider, outcome: outcomeOf(outcome) });
      if (ended) return;
      ended = true;
      endAttemptSpan(span, outcome);
    },
  };
}

export function createCallObserver(): CallObserver {
  return {
    attempt: (info) => (tracingEnabled() ? tracedAttempt(info) : metricsOnlyAttempt(info)),
    call(finished: FinishedCall) {
      const model = modelLabel(finished.provider, finished.model);
      calls.inc({ provider: finished.provider, model, status: finished.status });
      if (finished.inputTokens !== null) tokens.inc({ provider: finished.provider, model, direction: 'input' }, finished.inputTokens);
      if (finished.outputTokens !== null) tokens.inc({ provider: finished.provider, model, direction: 'output' }, finished.outputTokens);
      if (finished.cost !== null) cost.inc({ provider: finished.provider, model }, Number(finished.cost));
      if (!finished.cached) durations.observe({ provider: finished.provider, model }, finished.durationSeconds);
    },
    fallback: (from, to) => fallbacks.inc({ from, to }),
    cache: (result) => cacheResults.inc({ result }),
  };
}
