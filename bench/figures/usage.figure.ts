// Figure 3: `usage` summaries over 1M and 10M usage rows (100k in quick mode).
//
// Rows are generated in SQL (generate_series) straight into specs.usage_records: 10 users, 3 models of
// two providers, spread over the last 365 days, 1 in 50 with an unknown cost and 1 in 100 without token
// counts, marked folded (in the rollups). The rollups are then rebuilt from all settled raw rows with one
// `insert ... select ... group by` each (daily, hourly, everyone's daily totals, the tag rollups), with
// the same bucket keys and sums as the gateway's fold (UsageWriter.foldRollups: NULL tokens and costs
// count as 0, unknown costs are counted), in one transaction holding the fold's advisory lock, so the
// gateway's fold job (every second) cannot add a bucket in between, and the rows the other figures wrote
// are marked folded with them. Then VACUUM ANALYZE, as autovacuum would eventually do.
//
// Each case is measured through GraphQL, interleaved with two baselines: `{ me { id } }` with the same
// token (the fixed cost of an authenticated request), and UsageService.summary called in this process
// (the SQL and its mapping alone, no HTTP or GraphQL).
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageService, usageScope, type UsageFilter } from '../../src/modules/usage/usage.service.ts';
import { FOLD_LOCK } from '../../src/modules/usage/usage.writer.ts';
import type { Actor } from '../../src/modules/auth/actor.ts';
import { type Bench, PROFILES } from '../support/bench.ts';
import { cpuMs, Deadline, fmt, median, percentile, rotation } from '../support/stats.ts';

const SUMMARY =
  'query($filter: UsageFilter) { usage(filter: $filter) { calls inputTokens outputTokens totalTokens totalCost unknownCostCalls ' +
  'byProvider { key calls tokens cost } byModel { key calls tokens cost } byDay { key calls tokens cost } } }';
const ME = '{ me { id } }';
const DAY_MS = 86_400_000;

async function seedRows(bench: Bench, users: string[], from: number, to: number): Promise<void> {
  const batch = 1_000_000;
  for (let first = from; first <= to; first += batch) {
    const last = Math.min(to, first + batch - 1);
    await bench.db.sql.query(
      `insert into specs.usage_records (id, created_at, user_id, project_id, provider, model, input_tokens, output_tokens, cost, latency_ms, status, error_class, streamed, attempts, folded)
       select gen_random_uuid(),
              now() - (i % 365) * interval '1 day' - ((i * 7919) % 86400) * interval '1 second',
              ($1::uuid[])[1 + (i / 365) % 10],
              null,
              (array['OPENAI', 'OPENAI', 'CLAUDE'])[1 + (i / 3650) % 3],
              (array['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-20250514'])[1 + (i / 3650) % 3],
              case when i % 100 = 0 then null else 100 + (i * 13) % 900 end,
              case when i % 100 = 0 then null else 20 + (i * 7) % 400 end,
              case when i % 50 = 0 or i % 100 = 0 then null else round(((100 + (i * 13) % 900) * 0.00015 + (20 + (i * 7) % 400) * 0.0006) / 1000, 8) end,
              50 + i % 900, 'SUCCEEDED', null, i % 4 = 0, 1, true
       from generate_series($2::bigint, $3::bigint) as i`,
      [users, first, last],
    );
  }
}

async function rebuildRollup(bench: Bench): Promise<number> {
  const sums = `count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), coalesce(sum(cost), 0), count(*) filter (where cost is null)`;
  const settled = `from specs.usage_records where status <> 'PENDING'`;
  const settledTags = `from specs.usage_records, unnest(tags) as tag where status <> 'PENDING'`;
  const client = await bench.db.sql.connect();
  try {
    await client.query('begin');
    // The gateway's fold takes this lock with pg_try_advisory_xact_lock: while it is held here, a fold does nothing.
    await client.query('select pg_advisory_xact_lock($1)', [FOLD_LOCK]);
    await client.query(`update specs.usage_records set folded = true where not folded and status <> 'PENDING'`);
    await client.query('truncate specs.usage_daily, specs.usage_hourly, specs.usage_daily_totals, specs.usage_daily_tags, specs.usage_hourly_tags');
    await client.query(
      `insert into specs.usage_daily (day, user_id, project_id, provider, model, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
       select (created_at at time zone 'UTC')::date, user_id, project_id, provider, model, ${sums} ${settled} group by 1, 2, 3, 4, 5`,
    );
    await client.query(
      `insert into specs.usage_hourly (hour, user_id, project_id, provider, model, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
       select date_trunc('hour', created_at, 'UTC'), user_id, project_id, provider, model, ${sums} ${settled} group by 1, 2, 3, 4, 5`,
    );
    await client.query(
      `insert into specs.usage_daily_totals (day, provider, model, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
       select day, provider, model, sum(calls), sum(input_tokens), sum(output_tokens), sum(cost), sum(unknown_cost_calls)
       from specs.usage_daily group by 1, 2, 3`,
    );
    await client.query(
      `insert into specs.usage_daily_tags (day, user_id, project_id, provider, model, tag, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
       select (created_at at time zone 'UTC')::date, user_id, project_id, provider, model, tag, ${sums} ${settledTags} group by 1, 2, 3, 4, 5, 6`,
    );
    await client.query(
      `insert into specs.usage_hourly_tags (hour, user_id, project_id, provider, model, tag, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
       select date_trunc('hour', created_at, 'UTC'), user_id, project_id, provider, model, tag, ${sums} ${settledTags} group by 1, 2, 3, 4, 5, 6`,
    );
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  for (const table of ['usage_records', 'usage_daily', 'usage_hourly', 'usage_daily_totals']) await bench.db.sql.query(`vacuum analyze specs.${table}`);
  return Number((await bench.db.sql.query<{ count: string }>('select count(*) from specs.usage_daily')).rows[0]!.count);
}

/** The SQL UsageService.summary sends for a scope, as the server receives it (for EXPLAIN). */
async function summarySql(bench: Bench, viewer: Actor, filter: UsageFilter): Promise<string> {
  const { orm } = bench.db;
  let captured = '';
  const previous = orm.config.get('onQuery');
  orm.config.set('onQuery', (sql: string, params: readonly unknown[]) => {
    captured = orm.em.getPlatform().formatQuery(sql, [...params]);
    return sql;
  });
  try {
    await new UsageService(orm.em.fork()).summary(usageScope(viewer, filter));
  } finally {
    orm.config.set('onQuery', previous);
  }
  return captured;
}

export async function usageFigure(bench: Bench): Promise<void> {
  const { settings } = bench;
  const others = await Promise.all(Array.from({ length: 8 }, (_, i) => bench.createUser(`bench-usage-${i}@example.com`)));
  const users = [bench.admin, bench.member, ...others].map((user) => user.id);
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  // Both ends in the middle of a UTC day: the partial days are read from the raw rows.
  const range = { from: new Date(today - 30 * DAY_MS + 13.5 * 3_600_000), to: new Date(today - DAY_MS + 9.25 * 3_600_000) };
  const admin: Actor = { id: bench.admin.id, role: 'ADMIN' };
  const member: Actor = { id: bench.member.id, role: 'MEMBER' };
  const cases = [
    { id: 'admin', label: 'admin, all users', viewer: admin, token: bench.admin.token, filter: {} },
    { id: 'member', label: 'member, own usage', viewer: member, token: bench.member.token, filter: {} },
    { id: 'admin-range', label: 'admin, from/to cutting through days', viewer: admin, token: bench.admin.token, filter: range },
    { id: 'member-range', label: 'member, from/to cutting through days', viewer: member, token: bench.member.token, filter: range },
  ];

  let seeded = 0;
  for (const target of settings.quick ? [100_000] : [1_000_000, 10_000_000]) {
    const label = target >= 1_000_000 ? `${target / 1_000_000}M` : `${target / 1000}k`;
    const seedingStarted = performance.now();
    await seedRows(bench, users, seeded + 1, target);
    seeded = target;
    const rollupRows = await rebuildRollup(bench);
    const total = Number((await bench.db.sql.query<{ count: string }>('select count(*) from specs.usage_records')).rows[0]!.count);
    const check = await bench.graphql<{ usage: { calls: number } }>(SUMMARY, { filter: {} });
    if (check.usage.calls !== total) throw new Error(`the admin summary counts ${check.usage.calls} calls, the table holds ${total}`);
    bench.report.note(
      `usage: ${total} raw rows (${label} generated, the rest written by the other figures), ${rollupRows} rollup rows, seeded and vacuumed in ${fmt((performance.now() - seedingStarted) / 1000, 1)} s`,
    );

    for (const entry of cases) {
      const service = () => new UsageService(bench.db.orm.em.fork()).summary(usageScope(entry.viewer, entry.filter));
      const through = {
        graphql: () => bench.graphql(SUMMARY, { filter: entry.filter }, entry.token),
        me: () => bench.graphql(ME, {}, entry.token),
        service,
      };
      type Name = keyof typeof through;
      const names = Object.keys(through) as Name[];
      const times: Record<Name, number[]> = { graphql: [], me: [], service: [] };
      let gatewayCpu = 0;
      for (let i = 0; i < 5; i += 1) for (const name of names) await through[name]();
      const deadline = new Deadline(settings.quick ? 8 : 20);
      const iterations = settings.quick ? 20 : 50;
      await bench.profiled(`usage-${label}-${entry.id}`, async () => {
        for (let i = 0; i < iterations && !deadline.passed; i += 1) {
          for (const name of rotation(names, i)) {
            const cpuBefore = name === 'graphql' ? await bench.gateway.cpu() : null;
            const started = performance.now();
            await through[name]();
            times[name].push(performance.now() - started);
            if (cpuBefore) gatewayCpu += cpuMs(cpuBefore, await bench.gateway.cpu());
          }
        }
      });
      const sql = await summarySql(bench, entry.viewer, entry.filter);
      const explained = await bench.db.sql.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${sql}`);
      const plan = explained.rows.map((row) => row['QUERY PLAN']).join('\n');
      const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? Number.NaN);
      if (settings.profile) {
        await mkdir(PROFILES, { recursive: true });
        await writeFile(join(PROFILES, `usage-${label}-${entry.id}.plan.txt`), `${sql}\n\n${plan}\n`);
      }
      const p50 = median(times.graphql);
      bench.report.add({
        id: `usage.${label}.${entry.id}`,
        name: `usage summary over ${label} rows, ${entry.label}, p50`,
        measured: p50,
        unit: 'ms',
        value:
          `${fmt(p50)} ms (p90 ${fmt(percentile(times.graphql, 90))} ms; service alone ${fmt(median(times.service))} ms, SQL execution ${fmt(executionMs)} ms; ` +
          `{ me } ${fmt(median(times.me))} ms; gateway CPU ${fmt(gatewayCpu / times.graphql.length)} ms per request)`,
        goal: '<= 5 ms',
        pass: p50 <= 5,
        details: {
          rows: total,
          rollupRows,
          requests: times.graphql.length,
          p50,
          p90: percentile(times.graphql, 90),
          serviceP50: median(times.service),
          meP50: median(times.me),
          sqlExecutionMs: executionMs,
          gatewayCpuMsPerRequest: gatewayCpu / times.graphql.length,
          filter: entry.filter,
        },
      });
    }
  }
}
