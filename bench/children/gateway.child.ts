// The gateway under measurement, in a process of its own: the same wiring as src/main.ts (config from the
// environment, the runtime with its job workers, one HTTP + WebSocket port), on a database the bench has
// already migrated, listening on 127.0.0.1 only.
import v8 from 'node:v8';
import { loadConfig } from '../../src/config/config.ts';
import { initOrm } from '../../src/db/database.ts';
import { createLogger } from '../../src/logger.ts';
import { startRuntime } from '../../src/runtime.ts';
import { parseMasterKeys } from '../../src/security/master-key.ts';
import { SecretBox } from '../../src/security/secret-box.ts';
import { serveParent } from '../support/child-process.ts';

const config = loadConfig();
const databaseUrl = config.database.url;
if (!databaseUrl || !config.encryptionKey) throw new Error('the gateway child needs DATABASE_URL and AGORA_ENCRYPTION_KEY');
const orm = await initOrm(databaseUrl, config.database.poolMax);
const runtime = await startRuntime({
  config,
  orm,
  databaseUrl,
  logger: createLogger(config.logLevel),
  secretBox: new SecretBox(parseMasterKeys(config.encryptionKey)),
});
const port = await runtime.app.start(0, '127.0.0.1');

// Counts the SQL statements the ORM sends (pg-boss's own are not included): a per-request figure that
// explains much of the CPU time, since each statement is a round trip with its own query building.
let statements = 0;
const onQuery = orm.config.get('onQuery');
orm.config.set('onQuery', (sql: string, params: readonly unknown[]) => {
  statements += 1;
  return onQuery(sql, params);
});

serveParent(
  { port },
  {
    statements: () => statements,
    // The process's memory; with { collect: true }, after a full garbage collection (the bench starts this
    // child with --expose-gc): what is live, apart from what V8 has not collected yet.
    memory: (payload: unknown) => {
      if ((payload as { collect?: boolean } | undefined)?.collect) (globalThis as { gc?: () => void }).gc?.();
      return { ...process.memoryUsage(), heapSpaces: v8.getHeapSpaceStatistics().map((space) => ({ name: space.space_name, size: space.space_size, used: space.space_used_size })) };
    },
    stop: async () => {
      await runtime.stop();
      await orm.close();
    },
  },
);
