import { Writable } from 'node:stream';
import type { App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { AuthService } from '../../src/modules/auth/auth.service.ts';
import { parseMasterKeys } from '../../src/security/master-key.ts';
import { SecretBox } from '../../src/security/secret-box.ts';
import { startRuntime, type Runtime } from '../../src/runtime.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

/** A fixed master key for tests (version 1). */
export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  data?: Data | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string } & Record<string, unknown> }[];
}

export interface TestApp {
  app: App;
  runtime: Runtime;
  db: TestDatabase;
  config: Config;
  secretBox: SecretBox;
  /** Every log line the app wrote, as text: for asserting that no secret is ever logged. */
  logs: string[];
  adminToken: string;
  graphql<Data = Record<string, unknown>>(
    query: string,
    options?: { variables?: Record<string, unknown>; token?: string | null; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<Data>>;
  /** Creates a provider configuration as the admin (createIntelligenceProvider); throws on any GraphQL error. */
  configureProvider(input: Record<string, unknown>): Promise<string>;
  /** Creates a user and returns its token. */
  createUser(email: string, role?: 'ADMIN' | 'MEMBER'): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Share another app's database (a second replica), instead of a fresh one; it is not dropped on close. */
  database?: TestDatabase;
}

export async function createTestApp(environment: Record<string, string> = {}, appOptions: TestAppOptions = {}): Promise<TestApp> {
  const db = appOptions.database ?? (await createTestDatabase());
  // No background fold of the usage rollups (USAGE_FOLD_INTERVAL_MS): tests count the statements a request
  // sends, and a fold landing in between would be counted; tests of the rollups fold explicitly
  // (UsageWriter.foldRollups), and the gateway processes of the e2e tests fold every second as in production.
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: db.url,
    JOB_HEARTBEAT_SECONDS: '10',
    JOB_MONITOR_SECONDS: '1',
    USAGE_FOLD_INTERVAL_MS: '3600000',
    ...environment,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const secretBox = new SecretBox(parseMasterKeys(config.encryptionKey ?? TEST_MASTER_KEY));
  const runtime = await startRuntime({ config, orm: db.orm, databaseUrl: db.url, logger, secretBox });
  const app = runtime.app;
  // A test that writes to the database directly changes what the gateway caches per process (provider
  // configurations, user keys, recent cached answers): it forgets them after every such statement, as an
  // operator would restart.
  const sql = db.sql;
  db.sql = async (text, values) => {
    try {
      return await sql(text, values);
    } finally {
      runtime.deps.routingCache?.clear();
      runtime.deps.recentAnswers?.clear();
    }
  };

  const createUser = async (email: string, role: 'ADMIN' | 'MEMBER' = 'MEMBER') => {
    const { user, token } = await new AuthService(db.orm.em.fork()).createUser({ email, role });
    return { id: user.id, token };
  };
  const adminEmail = appOptions.database ? `admin-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com` : 'admin@example.com';
  const admin = await createUser(adminEmail, 'ADMIN');

  const graphql: TestApp['graphql'] = async (query, options = {}) => {
    const token = options.token === undefined ? admin.token : options.token;
    const response = await app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...options.headers,
      },
      body: JSON.stringify({ query, variables: options.variables }),
    });
    const body = (await response.json()) as Omit<GraphQLResponse, 'status'>;
    return { status: response.status, ...body } as GraphQLResponse<never>;
  };

  return {
    app,
    runtime,
    db,
    config,
    secretBox,
    logs,
    adminToken: admin.token,
    createUser,
    async configureProvider(input) {
      const response = await graphql<{ createIntelligenceProvider: { id: string } }>(
        'mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }',
        { variables: { input } },
      );
      if (response.errors || !response.data) throw new Error(`createIntelligenceProvider failed: ${JSON.stringify(response.errors)}`);
      return response.data.createIntelligenceProvider.id;
    },
    graphql,
    async close() {
      await runtime.stop();
      if (appOptions.database === undefined) await db.drop();
    },
  };
}
