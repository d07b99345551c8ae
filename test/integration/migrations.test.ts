import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { initOrm } from '../../src/db/database.ts';
import { withDatabase } from '../support/global-setup.ts';

// A database migrated only up to a given migration, to check what a later one does to existing data.
let orm: MikroORM;
let sql: pg.Client;
let name: string;
const adminUrl = () => inject('adminDatabaseUrl');

beforeAll(async () => {
  name = `agora_migrations_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = withDatabase(adminUrl(), name);
  orm = await initOrm(url, 2);
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
});
afterAll(async () => {
  await sql.end();
  await orm.close(true);
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
});

describe('Migration20261130170426_usage_hourly_and_totals', () => {
  it('backfills the hourly rollup and the daily totals from the rows recorded before it, and goes down and up again', async () => {
    await orm.migrator.up({ to: 'Migration20261122095520_projects_and_templates' });
    const users = await sql.query<{ id: string }>(
      `insert into auth.users (id, email, role, created_at, updated_at)
       select gen_random_uuid(), 'migration-' || g || '@example.com', 'MEMBER', now(), now() from generate_series(1, 3) g returning id`,
    );
    // What the code before this migration wrote: raw rows and the daily rollup.
    await sql.query(
      `insert into specs.usage_records (id, created_at, user_id, project_id, provider, model, input_tokens, output_tokens, cost, latency_ms, status, error_class, streamed, attempts)
       select gen_random_uuid(), timestamptz '2026-10-01 00:00:00+00' + (i * 977) * interval '1 second', ($1::uuid[])[1 + i % 3],
              case when i % 4 = 0 then null else gen_random_uuid() end, (array['OPENAI', 'CLAUDE'])[1 + i % 2], 'model-' || (i % 3),
              case when i % 10 = 0 then null else i end, case when i % 10 = 0 then null else 2 * i end,
              case when i % 7 = 0 then null else round(i * 0.00001234, 8) end, 10, 'SUCCEEDED', null, false, 1
       from generate_series(1, 600) i`,
      [users.rows.map((row) => row.id)],
    );
    await sql.query(
      `insert into specs.usage_daily (day, user_id, project_id, provider, model, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
       select (created_at at time zone 'UTC')::date, user_id, project_id, provider, model, count(*), coalesce(sum(input_tokens), 0),
              coalesce(sum(output_tokens), 0), coalesce(sum(cost), 0), count(*) filter (where cost is null)
       from specs.usage_records group by 1, 2, 3, 4, 5`,
    );

    const check = async () => {
      const hourly = await sql.query(
        `select to_char(hour at time zone 'UTC', 'YYYY-MM-DD HH24') as bucket, user_id, project_id, provider, model, calls::int, input_tokens::int, output_tokens::int, cost::text, unknown_cost_calls::int
         from specs.usage_hourly order by 1, 2, 3, 4, 5`,
      );
      const rawHours = await sql.query(
        `select to_char(date_trunc('hour', created_at, 'UTC') at time zone 'UTC', 'YYYY-MM-DD HH24') as bucket, user_id, project_id, provider, model, count(*)::int as calls,
                coalesce(sum(input_tokens), 0)::int as input_tokens, coalesce(sum(output_tokens), 0)::int as output_tokens,
                coalesce(sum(cost), 0)::numeric(24, 8)::text as cost, (count(*) filter (where cost is null))::int as unknown_cost_calls
         from specs.usage_records group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5`,
      );
      expect(hourly.rows).toEqual(rawHours.rows);
      expect(hourly.rows.length).toBeGreaterThan(100);
      const totals = await sql.query(
        `select day::text, provider, model, calls::int, input_tokens::int, output_tokens::int, cost::text, unknown_cost_calls::int from specs.usage_daily_totals order by 1, 2, 3`,
      );
      const rawDays = await sql.query(
        `select (created_at at time zone 'UTC')::date::text as day, provider, model, count(*)::int as calls,
                coalesce(sum(input_tokens), 0)::int as input_tokens, coalesce(sum(output_tokens), 0)::int as output_tokens,
                coalesce(sum(cost), 0)::numeric(24, 8)::text as cost, (count(*) filter (where cost is null))::int as unknown_cost_calls
         from specs.usage_records group by 1, 2, 3 order by 1, 2, 3`,
      );
      expect(totals.rows).toEqual(rawDays.rows);
    };

    await orm.migrator.up({ to: 'Migration20261130170426_usage_hourly_and_totals' });
    await check();
    await orm.migrator.down();
    const gone = await sql.query(`select to_regclass('specs.usage_hourly') as hourly, to_regclass('specs.usage_daily_totals') as totals`);
    expect(gone.rows[0]).toEqual({ hourly: null, totals: null });
    await orm.migrator.up();
    await check();
  });
});

describe('every migration', () => {
  it('goes down to the first and up again to the last', async () => {
    const all = await orm.migrator.getExecuted();
    await orm.migrator.down({ to: 'Migration20261122085946_initial' });
    expect(await orm.migrator.getExecuted()).toHaveLength(1);
    await orm.migrator.up();
    expect((await orm.migrator.getExecuted()).map((migration) => migration.name)).toEqual(all.map((migration) => migration.name));
    const tables = await sql.query<{ table: string }>(`select to_regclass('specs.budgets')::text as table`);
    expect(tables.rows[0]?.table).toBe('specs.budgets');
  });
});
