// The bench's own database: a new one on the server in DATABASE_URL (dropped at the end), or on an
// embedded PostgreSQL started in a temporary directory (removed at the end).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { initOrm, migrate } from '../../src/db/database.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { freePort } from '../../test/support/ports.ts';

export interface BenchDatabase {
  /** The bench database (contains a password: never print it). */
  url: string;
  external: boolean;
  serverVersion: string;
  /** The bench's own ORM, for seeding through the services and for service-level timings. */
  orm: MikroORM;
  sql: pg.Pool;
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

  let closed = false;
  return {
    url,
    external,
    serverVersion: version.rows[0]?.server_version ?? 'unknown',
    orm,
    sql,
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
