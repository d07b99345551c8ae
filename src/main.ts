// Process entry: config -> database (embedded or external) -> migrate -> serve; SIGTERM/SIGINT -> stop.
import { ConfigError, loadConfig } from './config/config.ts';
import { startTracing } from './observability/tracing.ts';

/** The tracing settings, or null; an invalid configuration is left to main(), which reports it. */
function tracingSettings() {
  try {
    return loadConfig().tracing;
  } catch {
    return null;
  }
}

// Tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) starts before anything loads `pg`, which its
// instrumentation patches as it loads: the rest of the entry is imported only then. A tracer that cannot
// start does not keep the gateway from serving.
const tracing = await startTracing(tracingSettings()).catch((error: unknown) => {
  process.stderr.write(`Tracing is off: it could not start (${error instanceof Error ? error.message : String(error)}).\n`);
  return null;
});
const { initOrm, migrate, openDatabase } = await import('./db/database.ts');
const { EmbeddedPostgresError } = await import('./db/embedded-postgres.ts');
const { createLogger } = await import('./logger.ts');
const { AuthService } = await import('./modules/auth/auth.service.ts');
const { startRuntime } = await import('./runtime.ts');
const { loadSecretBox, MasterKeyError } = await import('./security/master-key.ts');

// How long a stop may take beyond the calls' grace period (SHUTDOWN_GRACE_SECONDS): the job queue's 10 s for
// running jobs, the calls' own ending, the pools. An orchestrator's grace period should cover both.
const SHUTDOWN_DEADLINE_MS = 25_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, undefined, { pretty: config.logPretty });
  // Before the database: a production start without a master key stops here, having touched nothing.
  const secretBox = await loadSecretBox({ value: config.encryptionKey, production: config.isProduction, dataDir: config.dataDir });
  const database = await openDatabase(config, (message) => logger.debug({ component: 'postgres' }, message));
  logger.info({ embedded: database.embedded, dataDir: database.embedded ? config.dataDir : undefined }, 'database ready');
  const orm = await initOrm(database.url, config.database.poolMax);
  const applied = await migrate(orm, database.url);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');

  const runtime = await startRuntime({ config, orm, databaseUrl: database.url, logger, secretBox });
  const port = await runtime.app.start(config.port);
  const base = config.publicUrl ?? `http://localhost:${port}`;
  if (config.bootstrapAdmin) {
    const token = await new AuthService(orm.em.fork()).bootstrapAdmin();
    if (token) {
      // Printed once, on purpose, on stdout only: this is how a new user gets in.
      process.stdout.write(
        `\nCreated admin@localhost. Its token (shown only this once):\n${token}\n` +
          `Open ${base}/graphql and send the header  Authorization: Bearer ${token}\n\n`,
      );
    }
  }

  logger.info({ port }, `Agora is listening: GraphiQL at ${base}/graphql`);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    // A stop that hangs (a pool waiting for a connection nobody will return) must not keep the process up.
    setTimeout(() => {
      logger.error({ signal, afterMs: SHUTDOWN_DEADLINE_MS + config.shutdownGraceMs }, 'shutdown did not finish in time: exiting anyway');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS + config.shutdownGraceMs).unref();
    try {
      await runtime.stop();
      await orm.close();
      await database.stop();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  // This entry owns the shutdown. embedded-postgres hooks these signals on import to stop its clusters and
  // exit at once (code 130/143), racing the orderly stop above: PostgreSQL went away under pg-boss and the
  // pools (error lines), and with DATABASE_URL the process exited before it had stopped. The embedded
  // cluster is stopped last, by `database.stop()`. A second signal, with no listener left, ends the process.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.removeAllListeners(signal);
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof EmbeddedPostgresError || error instanceof MasterKeyError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Agora failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
