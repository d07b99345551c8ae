// Starts one PostgreSQL for the whole run (embedded, or the server in DATABASE_URL), migrates a template
// database once, and hands its name to the test files, which each clone a fresh database from it.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { initOrm, migrate } from '../../src/db/database.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.ts';
import { startJobQueue } from '../../src/jobs/job-queue.ts';
import { createLogger } from '../../src/logger.ts';
import { freePort } from './ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a maintenance database on the test server (used to create and drop test databases). */
    adminDatabaseUrl: string;
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  let embedded: EmbeddedDatabase | null = null;
  let dataDir: string | null = null;
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    // Under the system temp dir: reachable by the postgres user when the suite runs as root.
    dataDir = await mkdtemp(join(tmpdir(), 'agora-test-'));
    await chmod(dataDir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'agora_admin' });
    adminUrl = embedded.url;
  }
  const templateDatabase = `agora_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${templateDatabase}`);
  await admin.query(`create database ${templateDatabase}`);
  const templateUrl = withDatabase(adminUrl, templateDatabase);
  const orm = await initOrm(templateUrl, 2);
  await migrate(orm, templateUrl);
  await orm.close();
  // pg-boss installs its own schema on first start: do it once here, so every clone has it.
  const queue = await startJobQueue({
    connectionString: templateUrl,
    logger: createLogger('silent'),
    heartbeatSeconds: 10,
    monitorSeconds: 60,
    retryLimit: 1,
    concurrency: 1,
  });
  await queue.stop();

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);

  return async () => {
    // Test files drop their own databases; this removes what a crashed file left behind.
    const leftovers = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname like $1 or datname = $2`,
      [`agora_test_${process.pid}_%`, templateDatabase],
    );
    for (const { datname } of leftovers.rows) await admin.query(`drop database if exists ${datname} with (force)`);
    await admin.end();
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
