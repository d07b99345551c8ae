// One span per job a worker runs (OpenTelemetry's messaging conventions: a consumer's "process" span),
// so the SQL and provider attempts of an analysis nest under it. Nothing at all with tracing off.
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { tracer, tracingEnabled } from './trace-context.ts';

export interface TracedJob {
  id: string;
  /** 0 on the first attempt. */
  retryCount: number;
}

export function traceJob<T>(queue: string, job: TracedJob, run: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return run();
  const span = tracer().startSpan(`process ${queue}`, {
    kind: SpanKind.CONSUMER,
    attributes: {
      'messaging.system': 'pg-boss',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': queue,
      'messaging.message.id': job.id,
      'agora.job.retry_count': job.retryCount,
    },
  });
  return context.with(trace.setSpan(context.active(), span), run).then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      throw error;
    },
  );
}
