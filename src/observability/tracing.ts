// OpenTelemetry traces over OTLP/HTTP, started by the process entry before anything loads `pg` (the pg
// instrumentation patches the module as it is loaded). With OTEL_EXPORTER_OTLP_ENDPOINT unset nothing
// starts and no SDK module is even imported: the API's no-op tracer stays in place and the gateway's own
// checks (trace-context.ts) skip every span.
import type { Config } from '../config/config.ts';
import { redactSqlLiterals } from './sql-redaction.ts';
import { markTracingStarted, markTracingStopped } from './trace-context.ts';

export interface Tracing {
  /** Sends the spans still buffered and stops tracing. */
  shutdown(): Promise<void>;
}

/** OTLP/HTTP's path for traces under the base endpoint (the spec's OTEL_EXPORTER_OTLP_ENDPOINT rule). */
function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

async function exporterFor(settings: NonNullable<Config['tracing']>) {
  const url = tracesUrl(settings.endpoint);
  if (settings.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url });
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url });
}

/** Null when tracing is off (no endpoint configured). */
export async function startTracing(settings: Config['tracing']): Promise<Tracing | null> {
  if (!settings) return null;
  const [{ NodeTracerProvider, BatchSpanProcessor }, { resourceFromAttributes }, { registerInstrumentations }, { PgInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-pg'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor(await exporterFor(settings))],
  });
  // The global tracer provider, the AsyncLocalStorage context manager and the W3C propagators.
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Only SQL a traced operation or job runs: pg-boss's polling would otherwise start a trace a second.
      // Bound values are never recorded, and the values MikroORM writes into the text are redacted (both
      // attribute names: the old conventions' and the stable ones, whichever the instrumentation emits).
      new PgInstrumentation({
        requireParentSpan: true,
        enhancedDatabaseReporting: false,
        requestHook(span, { query }) {
          const statement = redactSqlLiterals(query.text);
          span.setAttribute('db.statement', statement);
          span.setAttribute('db.query.text', statement);
        },
      }),
    ],
  });
  markTracingStarted();
  return {
    async shutdown() {
      markTracingStopped();
      unregister();
      await provider.shutdown();
    },
  };
}
