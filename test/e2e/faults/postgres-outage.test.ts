import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../../src/modules/auth/auth.service.ts';
import { TEST_MASTER_KEY } from '../../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { freePort } from '../../support/ports.ts';
import { startNode, waitFor } from '../../support/process.ts';

// PostgreSQL lost and back under a gateway process (src/main.ts): its own database stops accepting
// connections and the existing ones are cut, then it is allowed again. The process lives through it,
// answers SERVICE_UNAVAILABLE meanwhile, serves again after, and then stops on SIGTERM without an error line.
// (Mutations cut inside their transactions are test/integration/outage-errors.test.ts's.)
let db: TestDatabase;
let admin: pg.Client;
let gateway: ReturnType<typeof startNode>;
let base: string;
let tokens: { seen: string; unseen: string };

beforeAll(async () => {
  db = await createTestDatabase();
  const auth = new AuthService(db.orm.em.fork());
  tokens = {
    seen: (await auth.createUser({ email: 'pg-outage@example.com', role: 'MEMBER' })).token,
    unseen: (await auth.createUser({ email: 'pg-outage-late@example.com', role: 'MEMBER' })).token,
  };
  admin = new pg.Client({ connectionString: db.url.replace(`/${db.name}`, '/postgres') });
  await admin.connect();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  gateway = startNode('src/main.ts', {
    DATABASE_URL: db.url,
    PORT: String(port),
    NODE_ENV: 'test',
    BOOTSTRAP_ADMIN: 'false',
    AGORA_ENCRYPTION_KEY: TEST_MASTER_KEY,
    JOB_HEARTBEAT_SECONDS: '10',
    JOB_MONITOR_SECONDS: '1',
  });
  await waitFor(() => gateway.output().includes('Agora is listening') || gateway.child.exitCode !== null, 60_000, 'the gateway process');
  expect(gateway.child.exitCode, gateway.output()).toBeNull();
}, 120_000);

afterAll(async () => {
  if (gateway?.child.exitCode === null) gateway.child.kill('SIGKILL');
  await admin.query(`alter database ${db.name} with allow_connections true`);
  await admin.end();
  await db.drop();
});

const graphql = async (query: string, token: string) => {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
};
const readiness = async () => {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const logLines = () =>
  gateway
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });

describe('a PostgreSQL outage under a running gateway', () => {
  it('answers SERVICE_UNAVAILABLE while it lasts, serves again after without a restart, and stops quietly', async () => {
    expect((await graphql('{ me { email } }', tokens.seen)).errors).toBeUndefined();
    expect(await readiness()).toEqual({ status: 200, body: { status: 'ready', database: { ok: true }, redis: null, jobs: { ok: true, workers: true } } });

    await admin.query(`alter database ${db.name} with allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [db.name]);
    try {
      for (const token of [tokens.seen, tokens.unseen]) {
        const refused = await graphql('{ projects { edges { node { id } } } }', token);
        expect(refused.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
        expect(refused.errors?.[0]?.message).toBe('The database is unavailable; try again shortly.');
      }
      const models = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${tokens.unseen}` } });
      expect(models.status).toBe(503);
      expect(((await models.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
      expect(await readiness()).toEqual({ status: 503, body: { status: 'unavailable', database: { ok: false }, redis: null, jobs: { ok: false, workers: true } } });
      // The job queue's workers keep polling: one warning, not an error per poll.
      await waitFor(() => gateway.output().includes('the job queue cannot reach the database'), 20_000, "the job queue's warning");
      expect(gateway.child.exitCode).toBeNull();
    } finally {
      await admin.query(`alter database ${db.name} with allow_connections true`);
    }

    await waitFor(async () => (await readiness()).status === 200, 20_000, 'the gateway to be ready again');
    expect((await readiness()).body).toEqual({ status: 'ready', database: { ok: true }, redis: null, jobs: { ok: true, workers: true } });
    expect((await graphql('{ me { email } }', tokens.unseen)).errors).toBeUndefined();
    const created = await graphql('mutation { createProject(input: { name: "After the outage" }) { id } }', tokens.seen);
    expect(created.errors).toBeUndefined();
    expect(logLines().filter((line) => line.level >= 50)).toEqual([]);

    const exited = new Promise<number | null>((resolve) => gateway.child.once('exit', (code) => resolve(code)));
    gateway.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logLines().filter((line) => line.level >= 50)).toEqual([]);
    expect(logLines().at(-1)?.msg).toBe('stopped');
  }, 120_000);
});
