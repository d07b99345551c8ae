// The bench's gateway with tracing on (OTEL_EXPORTER_OTLP_ENDPOINT in its environment): tracing starts
// first, before anything loads `pg`, as src/main.ts does it, then the usual gateway child runs unchanged.
import { loadConfig } from '../../src/config/config.ts';
import { startTracing } from '../../src/observability/tracing.ts';

const tracing = await startTracing(loadConfig().tracing);
if (!tracing) throw new Error('the traced gateway child needs OTEL_EXPORTER_OTLP_ENDPOINT');
await import('./gateway.child.ts');
