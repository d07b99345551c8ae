// What the rest of the gateway asks of tracing, on the OpenTelemetry API alone (no SDK): whether it is on,
// the tracer, the current trace id for log lines, and the W3C headers for outgoing provider requests.
// With tracing off (OTEL_EXPORTER_OTLP_ENDPOINT unset) every function here returns at its first line, so
// the call path pays one boolean test, and the SDK is never loaded (tracing.ts imports it on demand).
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';

const TRACER_NAME = 'agora';

let enabled = false;

/** Called once by startTracing, after the SDK is registered. */
export function markTracingStarted(): void {
  enabled = true;
}

/** Called by stopTracing. */
export function markTracingStopped(): void {
  enabled = false;
}

export function tracingEnabled(): boolean {
  return enabled;
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** The trace id of the span in progress, for the request log line; undefined with tracing off. */
export function currentTraceId(): string | undefined {
  if (!enabled) return undefined;
  const span = trace.getActiveSpan();
  return span && span.spanContext().traceId;
}

export const NO_TRACE_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The W3C trace-context headers (`traceparent`, `tracestate`) of the span in progress, to add to a request
 * sent to a provider, so its own tracing can join ours; empty with tracing off or outside any span.
 */
export function outboundTraceHeaders(): Readonly<Record<string, string>> {
  if (!enabled) return NO_TRACE_HEADERS;
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}
