import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { ormConfig } from '../../mikro-orm.config.ts';
import type { Config } from '../config/config.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

export interface DatabaseLocation {
  /** Connection URL (may contain a password: never log it). */
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set, else the embedded PostgreSQL under the data directory. */
export async function openDatabase(config: Config, onLog?: (message: string) => void): Promise<DatabaseLocation> {
  if (config.database.url) return { url: config.database.url, embedded: false, stop: async () => {} };
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPostgresPort,
    database: 'agora',
    onLog,
  });
  return { url: embedded.url, embedded: true, stop: embedded.stop };
}

export async function initOrm(url: string, poolMax?: number): Promise<MikroORM> {
  return MikroORM.init(ormConfig({ clientUrl: url, poolMax }));
}

// Any fixed number: replicas starting together queue on this lock instead of migrating twice.
const MIGRATION_LOCK = 727_000;

/** Applies pending migrations (they create the `auth` and `specs` schemas), one process at a time. */
export async function migrate(orm: MikroORM, url: string): Promise<string[]> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await orm.migrator.up();
    return applied.map((migration) => migration.name);
  } finally {
    await lock.end();
  }
}

/** Connection URL with the password hidden, for log lines and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable database URL>';
  }
}
