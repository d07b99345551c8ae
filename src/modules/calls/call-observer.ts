// The seam between the call pipeline and what watches it (Prometheus metrics, OpenTelemetry spans: see
// src/observability/). The pipeline reports; the observer decides what to count and trace. It must never
// receive a prompt, an answer, a key or a user id: only bounded facts about the call.
import type { FinishReason, ProviderKind } from '../../llm/types.ts';

export interface AttemptInfo {
  provider: ProviderKind;
  model: string;
  configurationId: string | null;
  streamed: boolean;
}

export interface AttemptOutcome {
  ok: boolean;
  /** The failure's code (TIMEOUT, RATE_LIMITED, PROVIDER_ERROR, CIRCUIT_OPEN, ...); null when ok. */
  errorCode: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  finishReason: FinishReason | null;
}

/** One attempt on one configuration (the driver's own retries inside it). */
export interface AttemptHandle {
  /** Runs `fn` inside the attempt (its trace context), so what it starts (HTTP, SQL) nests under it. */
  run<T>(fn: () => T): T;
  end(outcome: AttemptOutcome): void;
}

export interface FinishedCall {
  provider: ProviderKind;
  model: string;
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  streamed: boolean;
  cached: boolean;
  durationSeconds: number;
  inputTokens: number | null;
  outputTokens: number | null;
  /** USD, exact decimal string; null when unknown. */
  cost: string | null;
}

export interface CallObserver {
  attempt(info: AttemptInfo): AttemptHandle;
  /** After the call's one usage row was written. */
  call(call: FinishedCall): void;
  /** The call went on from one configuration to the next. */
  fallback(from: ProviderKind, to: ProviderKind): void;
  cache(result: 'hit' | 'miss' | 'store'): void;
}

const NO_ATTEMPT: AttemptHandle = { run: (fn) => fn(), end: () => {} };

/** Watches nothing: the pipeline's default. */
export const NO_OBSERVER: CallObserver = {
  attempt: () => NO_ATTEMPT,
  call: () => {},
  fallback: () => {},
  cache: () => {},
};
