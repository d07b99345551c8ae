import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './src/db/entities.ts';
import { releaseDeadConnections } from './src/db/pool-guard.ts';

const migrationsPath = fileURLToPath(new URL('./migrations', import.meta.url));

export interface OrmOptions {
  clientUrl: string;
  poolMax?: number;
  debug?: boolean;
}

/** The one ORM configuration, shared by the server, the CLI, the scripts and the tests. */
export function ormConfig(options: OrmOptions): Options {
  return defineConfig({
    clientUrl: options.clientUrl,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: options.poolMax ?? 10 },
    // A connection cut inside a transaction goes back to the pool (see src/db/pool-guard.ts).
    driverOptions: { onPoolCreated: releaseDeadConnections },
    debug: options.debug ?? false,
    // The global EntityManager refuses work: every request forks its own.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    migrations: {
      path: migrationsPath,
      pathTs: migrationsPath,
      glob: '!(*.d).{js,ts}',
      emit: 'ts',
      tableName: 'mikro_orm_migrations',
      silent: true,
      transactional: true,
      allOrNothing: true,
      snapshot: true,
      snapshotOnMigrate: false,
      snapshotName: '.snapshot-agora',
    },
  });
}

export default ormConfig({ clientUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/agora' });
