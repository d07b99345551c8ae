// Process entry: config -> database (embedded or external) -> migrate -> serve; SIGTERM/SIGINT -> stop.
import { ConfigError, loadConfig } from './config/config.ts';
import { initOrm, migrate, openDatabase } from './db/database.ts';
import { EmbeddedPostgresError } from './db/embedded-postgres.ts';
import { createLogger } from './logger.ts';
import { AuthService } from './modules/auth/auth.service.ts';
import { startRuntime } from './runtime.ts';
import { loadSecretBox, MasterKeyError } from './security/master-key.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
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
