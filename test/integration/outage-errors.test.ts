import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/errors.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/process.ts';

// PostgreSQL lost mid-run, for real: the test's own database stops accepting connections and its existing
// ones are cut (as an admin would, or a failover does), then it is allowed again. The same app goes on.
let t: TestApp;
let owner: { id: string; token: string };
let projectId: string;
let admin: pg.Client;

const UNAVAILABLE = 'The database is unavailable; try again shortly.';

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.createUser('outage-owner@example.com');
  const created = await t.graphql<{ createProject: { id: string } }>('mutation { createProject(input: { name: "Before the outage" }) { id } }', { token: owner.token });
  projectId = created.data!.createProject.id;
  admin = new pg.Client({ connectionString: t.db.url.replace(`/${t.db.name}`, '/postgres') });
  await admin.connect();
});
afterAll(async () => {
  await admin.query(`alter database ${t.db.name} with allow_connections true`);
  await admin.end();
  // Bounded: a pool that lost connections (see the last test of 'a database outage') never finishes closing.
  await answersWithin(t.close(), 'the app to close');
});

/** `promise`, or a failure naming `what` when it hangs (a pool with no connection left waits for ever). */
function answersWithin<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer`)), 15_000)));
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}

/** Refuses new connections to the test database and cuts its existing ones (but `keep`'s). */
async function cutDatabase(keep: number | null = null): Promise<void> {
  await admin.query(`alter database ${t.db.name} with allow_connections false`);
  await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> coalesce($2, 0)', [t.db.name, keep]);
}

async function restoreDatabase(): Promise<void> {
  await admin.query(`alter database ${t.db.name} with allow_connections true`);
}

const readiness = async () => {
  const response = await t.app.yoga.fetch('http://yoga/readyz');
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

/** The log lines at pino's error level or above. */
const errorLines = () => t.logs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);

describe('a database outage', () => {
  it('answers SERVICE_UNAVAILABLE (503 on the REST routes), says unavailable on /readyz, and serves again once the database is back', async () => {
    const stranger = await t.createUser('outage-stranger@example.com'); // a token no cache has seen
    // The owner's token is now cached: its requests reach the resolvers, which need the database.
    expect((await t.graphql('{ me { id } }', { token: owner.token })).errors).toBeUndefined();
    const errorsBefore = errorLines().length;

    await cutDatabase();
    try {
      const query = await t.graphql('{ projects { edges { node { id name } } } }', { token: owner.token });
      expect(query.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(query.errors?.[0]?.message).toBe(UNAVAILABLE);

      const mutation = await t.graphql('mutation { createProject(input: { name: "During the outage" }) { id } }', { token: owner.token });
      expect(mutation.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');

      // Authenticating an unseen token needs the database too.
      const unseen = await t.graphql('{ me { id } }', { token: stranger.token });
      expect(unseen.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(unseen.errors?.[0]?.message).toBe(UNAVAILABLE);

      const models = await t.app.yoga.fetch('http://yoga/v1/models', { headers: { authorization: `Bearer ${stranger.token}` } });
      expect(models.status).toBe(503);
      expect(await models.json()).toEqual({ error: { message: UNAVAILABLE, type: 'server_error', code: 'service_unavailable', param: null } });

      const download = await t.app.yoga.fetch(`http://yoga/api/v1/projects/${projectId}/export/markdown`, { headers: { authorization: `Bearer ${owner.token}` } });
      expect(download.status).toBe(503);
      expect(await download.json()).toEqual({ error: { code: 'SERVICE_UNAVAILABLE', message: UNAVAILABLE } });

      const ready = await readiness();
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'unavailable', database: { ok: false }, redis: null, jobs: { ok: false, workers: true } });
      expect((await t.app.yoga.fetch('http://yoga/healthz')).status).toBe(200);
    } finally {
      await restoreDatabase();
    }

    // An outage is not a bug: warnings, no error lines, and never a masked INTERNAL_SERVER_ERROR.
    expect(errorLines().slice(errorsBefore)).toEqual([]);
    expect(t.logs.some((line) => line.includes('database unavailable: operation answered SERVICE_UNAVAILABLE'))).toBe(true);

    // The same app, not restarted, serves again.
    expect(await readiness()).toEqual({ status: 200, body: { status: 'ready', database: { ok: true }, redis: null, jobs: { ok: true, workers: true } } });
    const after = await t.graphql<{ projects: { edges: { node: { name: string } }[] } }>('{ projects { edges { node { name } } } }', { token: owner.token });
    expect(after.errors).toBeUndefined();
    expect(after.data?.projects.edges.map((edge) => edge.node.name)).toEqual(['Before the outage']);
    expect((await t.graphql('{ me { id } }', { token: stranger.token })).errors).toBeUndefined();
    expect((await t.app.yoga.fetch('http://yoga/v1/models', { headers: { authorization: `Bearer ${stranger.token}` } })).status).toBe(200);
    expect((await t.app.yoga.fetch(`http://yoga/api/v1/projects/${projectId}/export/markdown`, { headers: { authorization: `Bearer ${owner.token}` } })).status).toBe(200);
  });

  it('leaves nothing half-written when it cuts mutations inside their transactions, and serves again after', async () => {
    // Each project row is inserted, then its specifications wait on a lock: the outage strikes between the two.
    const locker = new pg.Client({ connectionString: t.db.url });
    await locker.connect();
    const [{ pid }] = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows as [{ pid: number }];
    await locker.query('begin');
    await locker.query('lock table specs.specifications in access exclusive mode');
    const names = Array.from({ length: 3 }, (_, i) => `Cut mid-transaction ${i}`);
    const pending = names.map((name) =>
      t.graphql('mutation($name: String!) { createProject(input: { name: $name, templateId: "web-application" }) { id } }', { token: owner.token, variables: { name } }),
    );
    try {
      await waitFor(
        async () => {
          const waiting = await admin.query('select 1 from pg_stat_activity where datname = $1 and wait_event_type = $2 and query ilike $3', [t.db.name, 'Lock', '%specifications%']);
          return waiting.rowCount === names.length;
        },
        20_000,
        'every insert of specifications to wait on the lock',
      );
      await cutDatabase(pid);
      for (const cut of await Promise.all(pending)) {
        expect(cut.data?.createProject ?? null).toBeNull();
        expect(cut.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      }
    } finally {
      await locker.query('rollback');
      await locker.end();
      await restoreDatabase();
    }
    // Neither a project nor any of its specifications: each transaction went as a whole.
    expect(await t.db.sql('select id from specs.projects where name = any($1)', [names])).toEqual([]);
    expect(await t.db.sql('select s.id from specs.specifications s left join specs.projects p on p.id = s.project_id where p.id is null')).toEqual([]);
    // Every connection the outage cut went back to the pool (else a few outages leave it empty and the
    // app waits for ever), and the same app serves again: a retried mutation writes both.
    const pool = await t.db.orm.em.getConnection().getNativeClient();
    expect({ checkedOut: pool.totalCount - pool.idleCount, waiting: pool.waitingCount }).toEqual({ checkedOut: 0, waiting: 0 });
    const retried = await answersWithin(
      t.graphql<{ createProject: { id: string; specifications: unknown[] } }>(
        'mutation($name: String!) { createProject(input: { name: $name, templateId: "web-application" }) { id specifications { key } } }',
        { token: owner.token, variables: { name: names[0] } },
      ),
      'the retried mutation',
    );
    expect(retried.errors).toBeUndefined();
    expect(retried.data?.createProject.specifications.length).toBeGreaterThan(3);
  });

  it('tells an unreachable database from a query the database refused', async () => {
    const refusedBy = async (run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (error) {
        return error;
      }
      throw new Error('expected a failure');
    };
    const em = () => t.db.orm.em.fork();
    // Refused queries: not an outage.
    expect(isDatabaseUnavailable(await refusedBy(() => em().execute('select * from no_such_table')))).toBe(false);
    expect(isDatabaseUnavailable(await refusedBy(() => em().execute('select 1/0')))).toBe(false);
    expect(isDatabaseUnavailable(await refusedBy(() => em().execute("select pg_advisory_lock('x'::text::int)")))).toBe(false);
    // Unreachable: nothing listening, no such database, connections refused by the database.
    const nowhere = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/none` });
    expect(isDatabaseUnavailable(await refusedBy(() => nowhere.connect()))).toBe(true);
    const missing = new pg.Client({ connectionString: t.db.url.replace(`/${t.db.name}`, `/${t.db.name}_missing`) });
    expect(isDatabaseUnavailable(await refusedBy(() => missing.connect()))).toBe(true);
    await admin.query(`alter database ${t.db.name} with allow_connections false`);
    try {
      const refused = new pg.Client({ connectionString: t.db.url });
      expect(isDatabaseUnavailable(await refusedBy(() => refused.connect()))).toBe(true);
    } finally {
      await restoreDatabase();
    }
  });
});

describe('/readyz, one field per dependency', () => {
  it('is degraded (200), not down, while Redis is unreachable, and reports no Redis when none is configured', async () => {
    const unreachable = await createTestApp({ REDIS_URL: `redis://:not-for-logs@127.0.0.1:${await freePort()}` }, { database: t.db });
    try {
      // Never connected, or lost: either way not ready.
      const response = await unreachable.app.yoga.fetch('http://yoga/readyz');
      const report = { status: response.status, body: (await response.json()) as Record<string, unknown> };
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({ status: 'degraded', database: { ok: true }, redis: { ok: false }, jobs: { ok: true } });
      expect(Object.keys((report.body.redis as { connections: object }).connections).sort()).toEqual(['eventsPublish', 'eventsSubscribe', 'rateLimits']);
      // Logged as a warning naming the URL without its password.
      await waitFor(() => unreachable.logs.some((line) => line.includes('Redis is unreachable')), 10_000, 'the outage warning');
      const warning = unreachable.logs.find((line) => line.includes('Redis is unreachable'))!;
      expect(JSON.parse(warning)).toMatchObject({ level: 40, redis: expect.stringContaining('***@127.0.0.1') });
      expect(unreachable.logs.join('\n')).not.toContain('not-for-logs');
      // The replica still serves.
      expect((await unreachable.graphql('{ me { email } }')).errors).toBeUndefined();
    } finally {
      await unreachable.close();
    }
    expect((await readiness()).body.redis).toBeNull();
  });
});
