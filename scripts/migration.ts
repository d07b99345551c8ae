// `npm run migration:create` diffs the entities against the migration snapshot and writes a new migration;
// `npm run migration:up` applies pending ones. Both use DATABASE_URL or the embedded database.
import { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../src/config/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { ormConfig } from '../mikro-orm.config.ts';

const command = process.argv[2];
const config = loadConfig();
const database = await openDatabase(config);
const orm = await MikroORM.init(ormConfig({ clientUrl: database.url }));
try {
  if (command === 'create') {
    await orm.migrator.up();
    const result = await orm.migrator.create(undefined, false, false, process.argv[3]);
    console.log(result.fileName ? `Created migrations/${result.fileName}` : 'No entity changes: nothing to create.');
  } else if (command === 'up') {
    const applied = await orm.migrator.up();
    console.log(applied.length ? `Applied ${applied.map((m) => m.name).join(', ')}` : 'Database is up to date.');
  } else {
    console.error('usage: node scripts/migration.ts create [name] | up');
    process.exitCode = 2;
  }
} finally {
  await orm.close();
  await database.stop();
}
