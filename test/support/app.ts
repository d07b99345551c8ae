import { Writable } from 'node:stream';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createInProcessPubSub } from '../../src/graphql/pubsub.ts';
import { createLogger } from '../../src/logger.ts';
import { AuthService } from '../../src/modules/auth/auth.service.ts';
import { parseMasterKeys } from '../../src/security/master-key.ts';
import { SecretBox } from '../../src/security/secret-box.ts';
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
  /** Creates a user and returns its token. */
  createUser(email: string, role?: 'ADMIN' | 'MEMBER'): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

export async function createTestApp(environment: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', DATABASE_URL: db.url, ...environment });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const secretBox = new SecretBox(parseMasterKeys(config.encryptionKey ?? TEST_MASTER_KEY));
  const app = buildApp({ orm: db.orm, config, logger, pubsub: createInProcessPubSub(), secretBox });

  const createUser = async (email: string, role: 'ADMIN' | 'MEMBER' = 'MEMBER') => {
    const { user, token } = await new AuthService(db.orm.em.fork()).createUser({ email, role });
    return { id: user.id, token };
  };
  const admin = await createUser('admin@example.com', 'ADMIN');

  return {
    app,
    db,
    config,
    secretBox,
    logs,
    adminToken: admin.token,
    createUser,
    async graphql(query, options = {}) {
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
    },
    async close() {
      await app.stop();
      await db.drop();
    },
  };
}
