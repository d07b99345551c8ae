import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeCost } from '../../src/llm/catalogue.ts';
import type { ProviderKind } from '../../src/llm/types.ts';
import { type UsageEntry, type UsageScope, UsageService } from '../../src/modules/usage/usage.service.ts';
import { createLedgerBatch, UsageWriter } from '../../src/modules/usage/usage.writer.ts';
import { createTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
let alice: { id: string; token: string };
let bob: { id: string; token: string };

beforeAll(async () => {
  t = await createTestApp();
  alice = await t.createUser('usage-alice@example.com');
  bob = await t.createUser('usage-bob@example.com');
});
afterAll(async () => {
  await t.close();
});

const service = () => new UsageService(t.db.orm.em.fork());

/** Folds every settled call into the rollups (the runtime does it every second; it may hold the lock meanwhile). */
async function foldAll(): Promise<void> {
  const writer = new UsageWriter(t.db.orm.em.fork());
  while ((await t.db.sql("select 1 from specs.usage_records where not folded and status <> 'PENDING' limit 1")).length) await writer.foldRollups();
}

function entry(userId: string, overrides: Partial<UsageEntry> = {}): UsageEntry {
  return {
    userId,
    projectId: null,
    provider: 'OPENAI',
    model: 'gpt-4o-mini',
    inputTokens: 100,
    outputTokens: 50,
    cost: computeCost('OPENAI', 'gpt-4o-mini', { inputTokens: 100, outputTokens: 50 }),
    latencyMs: 10,
    status: 'SUCCEEDED',
    errorClass: null,
    streamed: false,
    attempts: 1,
    ...overrides,
  };
}

/** Decimal strings with 8 places, summed as integers of 1e-8: arbitrary precision, no floats. */
const sumExact = (values: string[]) => {
  const total = values.reduce((sum, value) => sum + BigInt(value.replace('.', '')), 0n);
  const text = total.toString().padStart(9, '0');
  return `${text.slice(0, -8)}.${text.slice(-8)}`;
};

type Summary = {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  totalCost: string;
  unknownCostCalls: number;
  byProvider: { key: string; calls: number; tokens: number; cost: string }[];
  byModel: { key: string; calls: number; tokens: number; cost: string }[];
  byDay: { key: string; calls: number; tokens: number; cost: string }[];
};
const SUMMARY = 'calls inputTokens outputTokens totalTokens totalCost unknownCostCalls byProvider { key calls tokens cost } byModel { key calls tokens cost } byDay { key calls tokens cost }';

function usage(filter: Record<string, unknown>, token: string) {
  return t.graphql<{ usage: Summary }>(`query($filter: UsageFilter) { usage(filter: $filter) { ${SUMMARY} } }`, { variables: { filter }, token });
}

describe('usage summaries', () => {
  it('sums thousands of small costs exactly, as arbitrary-precision arithmetic does', async () => {
    const user = await t.createUser('usage-exact@example.com');
    const costs: string[] = [];
    let input = 0;
    let output = 0;
    for (let i = 0; i < 2000; i += 1) {
      const inputTokens = 1 + ((i * 7919) % 997);
      const outputTokens = 1 + ((i * 104729) % 331);
      const cost = computeCost('OPENAI', 'gpt-4o-mini', { inputTokens, outputTokens })!;
      costs.push(cost);
      input += inputTokens;
      output += outputTokens;
      await service().record(entry(user.id, { inputTokens, outputTokens, cost }));
    }
    const response = await usage({}, user.token);
    expect(response.errors).toBeUndefined();
    expect(response.data?.usage).toMatchObject({ calls: 2000, inputTokens: input, outputTokens: output, totalTokens: input + output, totalCost: sumExact(costs) });
    // A float sum drifts from the exact one; ours must not.
    expect(response.data?.usage.totalCost).toBe(sumExact(costs));
  });

  it('gives the same exact summary before the rollups hold the calls, halfway, and after', async () => {
    const user = await t.createUser('usage-fold@example.com');
    const costs: string[] = [];
    const day = Date.UTC(2026, 9, 3);
    for (let i = 0; i < 40; i += 1) {
      const cost = i % 7 === 0 ? null : `0.${String(i * 12_345 + 1).padStart(8, '0')}`;
      if (cost) costs.push(cost);
      await service().record(entry(user.id, { inputTokens: i, outputTokens: 2 * i, cost, tags: i % 2 ? ['even'] : ['odd'], at: new Date(day + i * 37 * 60_000) }));
    }
    const query = '{ usage(filter: { userId: $id }) { calls inputTokens outputTokens totalCost unknownCostCalls byDay { key calls cost } byTag { key calls cost } } }'.replace('$id', JSON.stringify(user.id));
    const read = async () => {
      const response = await t.graphql<{ usage: unknown }>(query);
      expect(response.errors).toBeUndefined();
      return response.data!.usage;
    };
    const before = await read();
    expect(before).toMatchObject({ calls: 40, inputTokens: 780, outputTokens: 1560, totalCost: sumExact(costs), unknownCostCalls: 6 });
    // Folded a few at a time, as the runtime does (it folds every second too): some calls in the rollups, the rest raw.
    const writer = new UsageWriter(t.db.orm.em.fork());
    for (let folded = 0; folded === 0 && (await t.db.sql('select 1 from specs.usage_records where user_id = $1 and not folded limit 1', [user.id])).length; ) {
      folded = await writer.foldRollups(7);
    }
    expect(await read()).toEqual(before);
    await foldAll();
    expect(await t.db.sql('select 1 from specs.usage_records where user_id = $1 and not folded', [user.id])).toHaveLength(0);
    expect(await read()).toEqual(before);
  });

  it('settles a call whose PENDING row PostgreSQL lost by inserting it whole, and leaves a swept row alone', async () => {
    const user = await t.createUser('usage-ledger@example.com');
    const writer = new UsageWriter(t.db.orm.em.fork());
    const pending = { userId: user.id, projectId: null, provider: 'OPENAI' as const, model: 'gpt-4o-mini', streamed: false, tags: [], deadlineAt: new Date(Date.now() + 60_000) };
    const lost = await writer.open(pending);
    await t.db.sql('delete from specs.usage_records where id = $1', [lost]);
    await writer.settle(lost, entry(user.id, { cost: '0.00000100' }));
    expect(await t.db.sql('select status, cost::text from specs.usage_records where id = $1', [lost])).toEqual([{ status: 'SUCCEEDED', cost: '0.00000100' }]);
    // A row the sweeper settled (its process presumed dead) is not settled again by a late answer.
    const swept = await writer.open({ ...pending, deadlineAt: new Date(Date.now() - 120_000) });
    expect(await writer.sweepAbandoned()).toBeGreaterThanOrEqual(1);
    await writer.settle(swept, entry(user.id, { cost: '0.00000200' }));
    expect(await t.db.sql('select status, cost from specs.usage_records where id = $1', [swept])).toEqual([{ status: 'ABORTED', cost: null }]);
  });

  it('writes the same rows through the group commit as one by one, several calls per statement, each settled once', async () => {
    const user = await t.createUser('usage-batch@example.com');
    const project = (await t.graphql<{ createProject: { id: string } }>('mutation { createProject(input: { name: "batched" }) { id } }', { token: user.token })).data!.createProject.id;
    const calls = Array.from({ length: 6 }, (_, index) => ({
      pending: { userId: user.id, projectId: index % 2 ? project : null, provider: 'OPENAI' as const, model: 'gpt-4o-mini', streamed: index % 3 === 0, tags: index % 2 ? ['team-a', 'nightly'] : [], deadlineAt: new Date(Date.now() + 60_000) },
      outcome: entry(user.id, {
        projectId: index % 2 ? project : null,
        inputTokens: 10 + index,
        outputTokens: index === 5 ? null : 5,
        cost: index === 5 ? null : `0.0000010${index}`,
        status: index === 4 ? 'FAILED' : 'SUCCEEDED',
        errorClass: index === 4 ? 'PROVIDER_ERROR' : null,
        streamed: index % 3 === 0,
        tags: index % 2 ? ['nightly', 'team-a'] : [],
      }),
    }));
    const columns = 'user_id, project_id, provider, model, input_tokens, output_tokens, cost::text, status, error_class, streamed, attempts, tags, cached, saved_cost, deadline_at';
    const rowsOf = (ids: string[]) => Promise.all(ids.map(async (id) => (await t.db.sql(`select ${columns} from specs.usage_records where id = $1`, [id]))[0]));
    // One by one (no batch), then the same calls all at once through the group commit.
    const alone = new UsageWriter(t.db.orm.em.fork());
    const aloneIds: string[] = [];
    for (const call of calls) {
      const id = await alone.open(call.pending);
      await alone.settle(id, call.outcome);
      aloneIds.push(id);
    }
    const flushes: { kind: string; rows: number }[] = [];
    const batch = createLedgerBatch(t.db.orm.em.fork(), (kind, rows) => flushes.push({ kind, rows }));
    const batched = () => new UsageWriter(t.db.orm.em.fork(), batch);
    const before = t.db.queries.length;
    const batchedIds = await Promise.all(calls.map((call) => batched().open(call.pending)));
    expect(await t.db.sql(`select count(*)::int as pending from specs.usage_records where status = 'PENDING' and id = any($1)`, [batchedIds])).toEqual([{ pending: 6 }]);
    await Promise.all(calls.map((call, index) => batched().settle(batchedIds[index]!, call.outcome)));
    // The six opens went in one statement, the six settlements in one more.
    expect(flushes).toEqual([{ kind: 'pending', rows: 6 }, { kind: 'settled', rows: 6 }]);
    expect(t.db.queries.slice(before).filter((sql) => sql.includes('jsonb_to_recordset'))).toHaveLength(2);
    expect(await rowsOf(batchedIds)).toEqual(await rowsOf(aloneIds));
    // A settlement that comes again (a retry) changes nothing: the row is no longer PENDING.
    await Promise.all([batched().settle(batchedIds[0]!, { ...calls[0]!.outcome, cost: '0.00009999' }), batched().settle(batchedIds[1]!, calls[1]!.outcome)]);
    expect((await rowsOf([batchedIds[0]!]))[0]).toMatchObject({ cost: '0.00000100' });
  });

  it('keeps the daily rollup equal to the raw rows after random inserts, once folded', async () => {
    const user = await t.createUser('usage-rollup@example.com');
    const kinds: ProviderKind[] = ['OPENAI', 'CLAUDE', 'GEMINI'];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i += 1) {
      const provider = kinds[Math.floor(random() * kinds.length)]!;
      const known = random() > 0.2;
      const at = new Date(Date.UTC(2026, 10, 1 + Math.floor(random() * 5), Math.floor(random() * 24), Math.floor(random() * 60)));
      await service().record(
        entry(user.id, {
          provider,
          model: `${provider.toLowerCase()}-model`,
          inputTokens: known ? Math.floor(random() * 1000) : null,
          outputTokens: known ? Math.floor(random() * 500) : null,
          cost: known ? `0.${String(Math.floor(random() * 1e8)).padStart(8, '0')}` : null,
          at,
        }),
      );
    }
    const raw = await t.db.sql(
      `select (created_at at time zone 'UTC')::date::text as day, provider, model, count(*)::int as calls,
              coalesce(sum(input_tokens), 0)::int as input, coalesce(sum(output_tokens), 0)::int as output,
              coalesce(sum(cost), 0)::numeric(24,8)::text as cost, count(*) filter (where cost is null)::int as unknown
       from specs.usage_records where user_id = $1 group by 1, 2, 3 order by 1, 2, 3`,
      [user.id],
    );
    await foldAll();
    const rollup = await t.db.sql(
      `select day::text, provider, model, calls::int, input_tokens::int as input, output_tokens::int as output, cost::text, unknown_cost_calls::int as unknown
       from specs.usage_daily where user_id = $1 order by 1, 2, 3`,
      [user.id],
    );
    expect(rollup).toEqual(raw);
    expect(raw.length).toBeGreaterThan(5);

    const rawHours = await t.db.sql(
      `select to_char(date_trunc('hour', created_at, 'UTC') at time zone 'UTC', 'YYYY-MM-DD"T"HH24') as hour, provider, model, count(*)::int as calls,
              coalesce(sum(input_tokens), 0)::int as input, coalesce(sum(output_tokens), 0)::int as output,
              coalesce(sum(cost), 0)::numeric(24,8)::text as cost, count(*) filter (where cost is null)::int as unknown
       from specs.usage_records where user_id = $1 group by 1, 2, 3 order by 1, 2, 3`,
      [user.id],
    );
    const hourly = await t.db.sql(
      `select to_char(hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24') as hour, provider, model, calls::int, input_tokens::int as input,
              output_tokens::int as output, cost::text, unknown_cost_calls::int as unknown
       from specs.usage_hourly where user_id = $1 order by 1, 2, 3`,
      [user.id],
    );
    expect(hourly).toEqual(rawHours);
    expect(rawHours.length).toBeGreaterThan(100);

    // Everyone's totals per day and model: equal to all raw rows, whichever test wrote them.
    const rawTotals = await t.db.sql(
      `select (created_at at time zone 'UTC')::date::text as day, provider, model, count(*)::int as calls,
              coalesce(sum(input_tokens), 0)::int as input, coalesce(sum(output_tokens), 0)::int as output,
              coalesce(sum(cost), 0)::numeric(24,8)::text as cost, count(*) filter (where cost is null)::int as unknown
       from specs.usage_records group by 1, 2, 3 order by 1, 2, 3`,
    );
    const totals = await t.db.sql(
      `select day::text, provider, model, calls::int, input_tokens::int as input, output_tokens::int as output, cost::text, unknown_cost_calls::int as unknown
       from specs.usage_daily_totals order by 1, 2, 3`,
    );
    expect(totals).toEqual(rawTotals);
  });

  it('answers any time range and scope exactly as the raw rows do, whichever rollups it reads', async () => {
    const users = await Promise.all([1, 2, 3].map((i) => t.createUser(`usage-ranges-${i}@example.com`)));
    const projects = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2'];
    const kinds: ProviderKind[] = ['OPENAI', 'CLAUDE'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const start = Date.UTC(2026, 8, 1);
    const span = 6 * 86_400_000;
    for (let i = 0; i < 400; i += 1) {
      const provider = kinds[Math.floor(random() * kinds.length)]!;
      const known = random() > 0.15;
      await service().record(
        entry(users[Math.floor(random() * users.length)]!.id, {
          projectId: random() > 0.3 ? projects[Math.floor(random() * projects.length)]! : null,
          provider,
          model: `${provider.toLowerCase()}-${Math.floor(random() * 2)}`,
          inputTokens: known ? Math.floor(random() * 1000) : null,
          outputTokens: known ? Math.floor(random() * 500) : null,
          cost: known ? `0.${String(Math.floor(random() * 1e8)).padStart(8, '0')}` : null,
          at: new Date(start + Math.floor(random() * span / 1000) * 1000),
        }),
      );
    }
    type Row = { user_id: string; project_id: string | null; provider: string; model: string; created_at: Date; input_tokens: number | null; output_tokens: number | null; cost: string | null };
    // Every row any test wrote: the oracle must see what an admin's summary of everyone sees.
    const rows = await t.db.sql<Row>('select user_id, project_id, provider, model, created_at, input_tokens, output_tokens, cost::text from specs.usage_records');
    const expected = (scope: UsageScope) => {
      const chosen = rows.filter(
        (row) =>
          (!scope.userIds || scope.userIds.includes(row.user_id)) &&
          (!scope.projectIds || (row.project_id !== null && scope.projectIds.includes(row.project_id))) &&
          (!scope.provider || row.provider === scope.provider) &&
          (!scope.from || row.created_at >= scope.from) &&
          (!scope.to || row.created_at < scope.to),
      );
      const byDay = new Map<string, { calls: number; cost: string[] }>();
      for (const row of chosen) {
        const day = row.created_at.toISOString().slice(0, 10);
        const bucket = byDay.get(day) ?? { calls: 0, cost: [] };
        bucket.calls += 1;
        if (row.cost) bucket.cost.push(row.cost);
        byDay.set(day, bucket);
      }
      return {
        calls: chosen.length,
        inputTokens: chosen.reduce((sum, row) => sum + (row.input_tokens ?? 0), 0),
        totalCost: sumExact(chosen.flatMap((row) => (row.cost ? [row.cost] : []))),
        unknownCostCalls: chosen.filter((row) => row.cost === null).length,
        byDay: [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, bucket]) => ({ key, calls: bucket.calls, cost: sumExact(bucket.cost) })),
      };
    };
    const instant = () => {
      const at = start - 86_400_000 + Math.floor(random() * (span + 2 * 86_400_000));
      // Whole days and whole hours as well as arbitrary seconds.
      const roll = random();
      return new Date(roll < 0.2 ? Math.floor(at / 86_400_000) * 86_400_000 : roll < 0.45 ? Math.floor(at / 3_600_000) * 3_600_000 : Math.floor(at / 1000) * 1000);
    };
    const scopes: Omit<UsageScope, 'from' | 'to'>[] = [
      { userIds: [users[0]!.id] },
      { userIds: null },
      { userIds: null, projectIds: [projects[0]!] },
      { userIds: [users[1]!.id, users[2]!.id], provider: 'CLAUDE' },
      { userIds: null, provider: 'OPENAI' },
    ];
    for (let i = 0; i < 120; i += 1) {
      const [a, b] = [instant(), instant()].sort((x, y) => x.getTime() - y.getTime());
      const open = random();
      const scope: UsageScope = { ...scopes[i % scopes.length]!, from: open < 0.1 ? null : a, to: open > 0.9 ? null : b };
      const summary = await service().summary(scope);
      const want = expected(scope);
      expect(
        { calls: summary.calls, inputTokens: summary.inputTokens, totalCost: summary.totalCost, unknownCostCalls: summary.unknownCostCalls, byDay: summary.byDay.map(({ key, calls, cost }) => ({ key, calls, cost })) },
        JSON.stringify({ ...scope, from: scope.from?.toISOString(), to: scope.to?.toISOString() }),
      ).toEqual(want);
    }
  });

  it('filters by provider, model and an exact time range cutting through days', async () => {
    const user = await t.createUser('usage-range@example.com');
    const at = (iso: string) => new Date(iso);
    await service().record(entry(user.id, { at: at('2026-10-01T23:00:00Z'), cost: '0.10000000' }));
    await service().record(entry(user.id, { at: at('2026-10-02T01:00:00Z'), cost: '0.20000000' }));
    await service().record(entry(user.id, { at: at('2026-10-02T12:00:00Z'), cost: '0.30000000', provider: 'CLAUDE', model: 'claude-sonnet-4-20250514' }));
    await service().record(entry(user.id, { at: at('2026-10-03T09:00:00Z'), cost: '0.40000000' }));
    await service().record(entry(user.id, { at: at('2026-10-04T10:00:00Z'), cost: null, inputTokens: null, outputTokens: null }));

    const all = (await usage({}, user.token)).data!.usage;
    expect(all).toMatchObject({ calls: 5, totalCost: '1.00000000', unknownCostCalls: 1 });
    expect(all.byDay.map((bucket) => [bucket.key, bucket.calls, bucket.cost])).toEqual([
      ['2026-10-01', 1, '0.10000000'],
      ['2026-10-02', 2, '0.50000000'],
      ['2026-10-03', 1, '0.40000000'],
      ['2026-10-04', 1, '0.00000000'],
    ]);
    expect(all.byProvider.map((bucket) => bucket.key)).toEqual(['CLAUDE', 'OPENAI']);

    const window = (await usage({ from: '2026-10-01T23:30:00Z', to: '2026-10-03T09:00:00Z' }, user.token)).data!.usage;
    expect(window).toMatchObject({ calls: 2, totalCost: '0.50000000' });
    const sameDay = (await usage({ from: '2026-10-02T00:30:00Z', to: '2026-10-02T02:00:00Z' }, user.token)).data!.usage;
    expect(sameDay).toMatchObject({ calls: 1, totalCost: '0.20000000' });
    const wholeDays = (await usage({ from: '2026-10-02T00:00:00Z', to: '2026-10-04T00:00:00Z' }, user.token)).data!.usage;
    expect(wholeDays).toMatchObject({ calls: 3, totalCost: '0.90000000' });
    const claude = (await usage({ provider: 'CLAUDE' }, user.token)).data!.usage;
    expect(claude).toMatchObject({ calls: 1, totalCost: '0.30000000' });
    const byModel = (await usage({ model: 'gpt-4o-mini' }, user.token)).data!.usage;
    expect(byModel.calls).toBe(4);
    const backwards = await usage({ from: '2026-10-03T00:00:00Z', to: '2026-10-02T00:00:00Z' }, user.token);
    expect(backwards.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('usage statements', () => {
  /** The statements `run` sends that read or write usage, as the server receives them. */
  async function usageStatements(run: () => Promise<unknown>): Promise<string[]> {
    const { orm } = t.db;
    const statements: string[] = [];
    const previous = orm.config.get('onQuery');
    orm.config.set('onQuery', (sql: string, params: readonly unknown[]) => {
      if (/specs\.usage_/.test(sql)) statements.push(sql);
      return previous ? previous(sql, params) : sql;
    });
    try {
      await run();
    } finally {
      orm.config.set('onQuery', previous);
    }
    return statements;
  }

  it('reads a summary in one statement whatever the range (none for an empty one), and many projects in one', async () => {
    const user = await t.createUser('usage-statements@example.com');
    await service().record(entry(user.id, { at: new Date('2026-07-02T10:20:00Z'), projectId: '00000000-0000-4000-8000-0000000000b1' }));
    const ranges: [string | null, string | null][] = [
      [null, null],
      ['2026-07-01T00:00:00Z', '2026-07-04T00:00:00Z'],
      ['2026-07-01T13:20:00Z', '2026-07-04T09:40:00Z'],
      ['2026-07-02T10:10:00Z', '2026-07-02T10:50:00Z'],
      ['2026-07-02T10:10:00Z', '2026-07-02T14:50:00Z'],
      [null, '2026-07-02T10:30:00Z'],
      ['2026-07-02T10:00:00Z', null],
    ];
    for (const [from, to] of ranges) {
      for (const userIds of [[user.id], null]) {
        const scope: UsageScope = { userIds, from: from ? new Date(from) : null, to: to ? new Date(to) : null };
        expect(await usageStatements(() => service().summary(scope)), JSON.stringify({ from, to, userIds })).toHaveLength(1);
      }
    }
    const empty = { userIds: [user.id], from: new Date('2026-07-02T00:00:00Z'), to: new Date('2026-07-02T00:00:00Z') };
    expect(await usageStatements(() => service().summary(empty))).toHaveLength(0);
    const projects = ['00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b2'];
    let summaries: Awaited<ReturnType<UsageService['summariesForProjects']>> = [];
    expect(await usageStatements(async () => (summaries = await service().summariesForProjects(projects)))).toHaveLength(1);
    expect(summaries.map((summary) => summary.calls)).toEqual([1, 0]);
    expect(summaries[0]!.byDay.map((bucket) => bucket.key)).toEqual(['2026-07-02']);
    expect(summaries[1]).toEqual({ calls: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0, totalCost: '0.00000000', unknownCostCalls: 0, byProvider: [], byModel: [], byDay: [] });
  });
});

describe('isolation', () => {
  it('shows members only their own usage and refuses another user id; admins read anyone', async () => {
    await service().record(entry(alice.id, { cost: '1.00000000' }));
    await service().record(entry(bob.id, { cost: '2.00000000' }));
    expect((await usage({}, alice.token)).data?.usage.totalCost).toBe('1.00000000');
    const peek = await usage({ userId: bob.id }, alice.token);
    expect(peek.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await usage({ userId: bob.id }, t.adminToken)).data?.usage.totalCost).toBe('2.00000000');
    const records = await t.graphql<{ usageRecords: { edges: { node: { userId: string } }[] } }>(
      '{ usageRecords(first: 50) { edges { node { userId } } } }',
      { token: alice.token },
    );
    expect(records.data?.usageRecords.edges.every((edge) => edge.node.userId === alice.id)).toBe(true);
  });

  it('pages usage records newest first with cursors', async () => {
    const user = await t.createUser('usage-pages@example.com');
    for (let i = 0; i < 5; i += 1) await service().record(entry(user.id, { latencyMs: i, at: new Date(Date.UTC(2026, 0, 1, 0, i)) }));
    type Page = { usageRecords: { edges: { node: { latencyMs: number } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const first = await t.graphql<Page>('{ usageRecords(first: 2) { edges { node { latencyMs } } pageInfo { hasNextPage endCursor } } }', { token: user.token });
    expect(first.data?.usageRecords.edges.map((edge) => edge.node.latencyMs)).toEqual([4, 3]);
    const second = await t.graphql<Page>('query($after: String) { usageRecords(first: 3, after: $after) { edges { node { latencyMs } } pageInfo { hasNextPage endCursor } } }', {
      token: user.token,
      variables: { after: first.data?.usageRecords.pageInfo.endCursor },
    });
    expect(second.data?.usageRecords.edges.map((edge) => edge.node.latencyMs)).toEqual([2, 1, 0]);
    expect(second.data?.usageRecords.pageInfo.hasNextPage).toBe(false);
  });
});
