import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.db.sql(`alter database ${t.db.name} with allow_connections true`).catch(() => {});
  await t.close();
});

async function readiness() {
  return t.app.yoga.fetch('http://yoga/readyz');
}

describe('health and readiness', () => {
  it('reports the process up without a token', async () => {
    const response = await t.app.yoga.fetch('http://yoga/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('is ready with the database, 503 while it is unreachable, and ready again after', async () => {
    expect((await readiness()).status).toBe(200);

    // Make the database unreachable: refuse new connections and cut the pool's existing ones.
    const admin = await import('pg');
    const client = new admin.default.Client({ connectionString: t.db.url.replace(`/${t.db.name}`, '/postgres') });
    await client.connect();
    try {
      await client.query(`alter database ${t.db.name} with allow_connections false`);
      await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [t.db.name]);
      const down = await readiness();
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ status: 'unavailable', database: { ok: false } });
      // Health does not depend on the database.
      expect((await t.app.yoga.fetch('http://yoga/healthz')).status).toBe(200);
    } finally {
      await client.query(`alter database ${t.db.name} with allow_connections true`);
      await client.end();
    }
    expect((await readiness()).status).toBe(200);
  });
});
