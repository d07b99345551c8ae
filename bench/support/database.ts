// The bench's own database: a new one on the server in DATABASE_URL (dropped at the end), or on an
// embedded PostgreSQL started in a temporary directory (removed at the end).
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { initOrm, migrate } from '../../src/db/database.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { freePort } from '../../test/support/ports.ts';
import { commandOf, processesCpuMs, processFamilyCpuMs } from './proc.ts';

export interface BenchDatabase {
  /** The bench database (contains a password: never print it). */
  url: string;
  external: boolean;
  serverVersion: string;
  /** The bench's own ORM, for seeding through the services and for service-level timings. */
  orm: MikroORM;
  sql: pg.Pool;
  /**
   * PostgreSQL's CPU time so far, in ms, from /proc: embedded, every process of the bench's data directory
   * (the postmaster, its backends and workers); on a DATABASE_URL server, the backends of the bench's
   * database only, when that server runs on this machine (NaN otherwise). Read before and after a section.
   */
  postgresCpuMs(): Promise<number>;
  /** What postgresCpuMs() counts, for the report. */
  postgresCpuScope: string;
  close(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function openBenchDatabase(): Promise<BenchDatabase> {
  const external = Boolean(process.env.DATABASE_URL);
  let dataDir: string | null = null;
  let stopEmbedded = async () => {};
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    // Under the system temp dir: reachable by the postgres user when the bench runs as root.
    dataDir = await mkdtemp(join(tmpdir(), 'agora-bench-'));
    await chmod(dataDir, 0o755);
    const embedded = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'agora_bench_admin' });
    adminUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const name = `agora_bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDatabase(adminUrl, name);
  const orm = await initOrm(url, 4);
  await migrate(orm, url);
  const sql = new pg.Pool({ connectionString: url, max: 2 });
  const version = await sql.query<{ server_version: string }>('show server_version');

  const postgresCpuMs = async (): Promise<number> => {
    if (dataDir) {
      // The first line of postmaster.pid is the postmaster's pid, whoever started it (root runs it as `postgres`).
      const postmaster = Number((await readFile(join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      return (await processFamilyCpuMs(postmaster)) ?? Number.NaN;
    }
    const backends = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [name]);
    // A pid of a server elsewhere (another host, a container) may name an unrelated process here.
    const local = (await Promise.all(backends.rows.map(async ({ pid }) => ((await commandOf(pid)) === 'postgres' ? pid : null)))).filter((pid) => pid !== null);
    return local.length ? processesCpuMs(local) : Number.NaN;
  };

  let closed = false;
  return {
    url,
    external,
    serverVersion: version.rows[0]?.server_version ?? 'unknown',
    orm,
    sql,
    postgresCpuMs,
    postgresCpuScope: dataDir ? 'all processes of the embedded instance' : "the bench database's backends on the DATABASE_URL server",
    async close() {
      if (closed) return;
      closed = true;
      await sql.end().catch(() => {});
      await orm.close(true).catch(() => {});
      await admin.query(`drop database if exists ${name} with (force)`).catch((error: unknown) => console.error(`could not drop ${name}:`, error));
      await admin.end().catch(() => {});
      await stopEmbedded().catch(() => {});
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
