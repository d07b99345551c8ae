import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { computeCost, costUpperBound } from '../../src/llm/catalogue.ts';
import { formatDecimal, parseDecimal } from '../../src/llm/decimal.ts';
import { BudgetLedger, RESERVATION_TTL_MS } from '../../src/modules/budgets/budgets.ledger.ts';
import { createLedgerBatch, type UsageEntry, UsageWriter } from '../../src/modules/usage/usage.writer.ts';
import { analyze, createIncident, finished, readRun, waitForRun } from '../support/analysis.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

let t: TestApp;
let fakes: FakeLlmServers;
let member: { id: string; token: string };
let other: { id: string; token: string };

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp();
  member = await t.createUser('budget-member@example.com');
  other = await t.createUser('budget-other@example.com');
  await t.configureProvider({ name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI, model: 'gpt-4o-mini' }, apiKey: 'sk-config', isActive: true });
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.budgets');
  await t.db.sql('delete from specs.budget_reservations');
  await t.db.sql('delete from specs.usage_records');
});

const BUDGET = 'id scope period limit spent reserved remaining warnAt periodStart user { id } project { id }';
type BudgetView = { id: string; scope: string; limit: string; spent: string; reserved: string; remaining: string; periodStart: string | null };

async function setBudget(input: Record<string, unknown>, token = t.adminToken) {
  return t.graphql<{ setBudget: BudgetView }>(`mutation($input: SetBudgetInput!) { setBudget(input: $input) { ${BUDGET} } }`, { variables: { input }, token });
}

function callLlm(input: Record<string, unknown>, token = member.token, app: TestApp = t) {
  return app.graphql<{ callLlm: { cost: string | null } }>('mutation($input: CallLlmInput!) { callLlm(input: $input) { cost } }', { variables: { input }, token });
}

const usageCost = async () =>
  (await t.db.sql<{ calls: string; cost: string | null }>(`select count(*)::text as calls, sum(cost)::text as cost from specs.usage_records where status = 'SUCCEEDED'`))[0]!;
const budgetRow = async (id: string) => (await t.db.sql<{ spent: string; reserved: string }>('select spent::text, reserved::text from specs.budgets where id = $1', [id]))[0]!;

/** The reservation of one `{ prompt: 'hi', maxTokens: 10 }` call to gpt-4o-mini: 2 bytes + the template allowance. */
const RESERVED = costUpperBound('OPENAI', 'gpt-4o-mini', { inputTokens: 2 + 64 + 16, outputTokens: 10 })!;
const ACTUAL = computeCost('OPENAI', 'gpt-4o-mini', { inputTokens: 12, outputTokens: 7 })!;
const times = (amount: string, factor: number) => formatDecimal(parseDecimal(amount, 8) * BigInt(factor), 8);

describe('budget permissions', () => {
  it('lets admins set any budget and members only PROJECT budgets on their own projects', async () => {
    const own = await t.graphql<{ createProject: { id: string } }>('mutation { createProject(input: { name: "Mine" }) { id } }', { token: member.token });
    const theirs = await t.graphql<{ createProject: { id: string } }>('mutation { createProject(input: { name: "Theirs" }) { id } }', { token: other.token });
    const projectBudget = await setBudget({ scope: 'PROJECT', projectId: own.data!.createProject.id, period: 'MONTH', limit: '10.00' }, member.token);
    expect(projectBudget.errors).toBeUndefined();
    expect(projectBudget.data?.setBudget).toMatchObject({ scope: 'PROJECT', limit: '10.00000000', spent: '0.00000000', reserved: '0.00000000', remaining: '10.00000000' });
    expect((await setBudget({ scope: 'PROJECT', projectId: theirs.data!.createProject.id, period: 'MONTH', limit: '1' }, member.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '1' }, member.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await setBudget({ scope: 'GLOBAL', period: 'DAY', limit: '1' }, member.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '2.5', warnAt: 0.8 })).errors).toBeUndefined();
    expect((await setBudget({ scope: 'USER', userId: other.id, period: 'DAY', limit: '2.5' })).errors).toBeUndefined();
    // Replacing keeps one budget per scope, target and period.
    expect((await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '3' })).data?.setBudget.limit).toBe('3.00000000');
    const seen = await t.graphql<{ budgets: BudgetView[] }>(`{ budgets { ${BUDGET} } }`, { token: member.token });
    expect(seen.data?.budgets.map((budget) => `${budget.scope} ${budget.limit}`).sort()).toEqual(['PROJECT 10.00000000', 'USER 3.00000000']);
    expect((await t.graphql<{ budgets: BudgetView[] }>(`{ budgets { id } }`)).data?.budgets).toHaveLength(3);
    expect((await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '-1' })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '1', warnAt: 1.5 })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('budgets in the call path', () => {
  it('reserves and opens the call\u2019s usage row in one statement, and settles both in one more', async () => {
    await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '100' });
    expect((await callLlm({ prompt: 'hi', maxTokens: 10 })).errors).toBeUndefined();
    const before = t.db.queries.length;
    expect((await callLlm({ prompt: 'hi', maxTokens: 10 })).errors).toBeUndefined();
    const statements = t.db.queries.slice(before);
    // Warm (budgets cached): the reservation with the PENDING row, then the settlement with the usage row.
    expect(statements).toHaveLength(2);
    // The reservation is held on the PENDING row: no row of its own to insert and delete.
    expect(statements[0]).toMatch(/update specs\.budgets[\s\S]*insert into specs\.usage_records \([^)]*reserved, budget_ids\)[\s\S]*'PENDING'/);
    expect(statements[1]).toMatch(/on conflict \(id\) do update[\s\S]*update specs\.budgets/);
    expect(statements.filter((sql) => sql.includes('budget_reservations'))).toEqual([]);
    const [settledRow] = await t.db.sql<{ status: string; reserved: string; budget_ids: string[] }>(
      `select status, reserved::text, budget_ids from specs.usage_records order by created_at desc limit 1`,
    );
    // The settled row keeps what it held, as a record; the budget holds nothing any more.
    expect(settledRow).toMatchObject({ status: 'SUCCEEDED', reserved: RESERVED });
    expect(settledRow!.budget_ids).toHaveLength(1);
    expect((await t.db.sql<{ reserved: string }>('select reserved::text from specs.budgets'))[0]!.reserved).toBe('0.00000000');
    // Under budgets the row is opened by the reservation, which (like the row alone) commits without waiting
    // for the WAL flush; the settlement commits durably.
    expect(statements[0]).toContain("set_config('synchronous_commit', 'off', true)");
    expect(statements[1]).not.toContain('synchronous_commit');
    // A refused call opens no row at all.
    await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '0.00000001' });
    expect((await callLlm({ prompt: 'hi', maxTokens: 10 })).errors?.[0]?.extensions?.code).toBe('BUDGET_EXCEEDED');
    expect(await t.db.sql("select id from specs.usage_records where status = 'PENDING'")).toHaveLength(0);
    expect((await usageCost()).calls).toBe('2');
  });

  it('refuses a call that could go over with BUDGET_EXCEEDED, before any upstream request and without a usage row', async () => {
    await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: times(RESERVED, 1) });
    const refused = await callLlm({ prompt: 'hi', maxTokens: 11 });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BUDGET_EXCEEDED');
    expect(refused.errors?.[0]?.message).toMatch(/would go over its limit/);
    expect(fakes.openai.requests).toHaveLength(0);
    expect((await usageCost()).calls).toBe('0');
    // Another user is not under this budget.
    expect((await callLlm({ prompt: 'hi', maxTokens: 11 }, other.token)).errors).toBeUndefined();
  });

  it('never settles past the limit under 50 concurrent calls over two replicas, and the numbers add up exactly', async () => {
    const budget = (await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: times(RESERVED, 5) })).data!.setBudget;
    fakes.openai.script({ delayMs: 30 });
    const second = await createTestApp({}, { database: t.db });
    try {
      const results = await Promise.all(Array.from({ length: 50 }, (_, index) => callLlm({ prompt: 'hi', maxTokens: 10 }, member.token, index % 2 ? second : t)));
      const ok = results.filter((result) => !result.errors);
      const refused = results.filter((result) => result.errors);
      for (const result of refused) expect(result.errors?.[0]?.extensions?.code).toBe('BUDGET_EXCEEDED');
      expect(ok.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      expect(fakes.openai.requests).toHaveLength(ok.length);
      const usage = await usageCost();
      expect(Number(usage.calls)).toBe(ok.length);
      const row = await budgetRow(budget.id);
      expect(row.reserved).toBe('0.00000000');
      expect(row.spent).toBe(times(ACTUAL, ok.length));
      expect(parseDecimal(row.spent, 8)).toBe(parseDecimal(usage.cost!, 8));
      expect(parseDecimal(row.spent, 8) <= parseDecimal(budget.limit, 8)).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('takes 16 callers x 20 calls under a USER and a PROJECT budget over two replicas without a deadlock, charging both exactly', async () => {
    const project = (await t.graphql<{ createProject: { id: string } }>('mutation { createProject(input: { name: "two budgets" }) { id } }', { token: member.token })).data!.createProject.id;
    const user = (await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '1000' })).data!.setBudget;
    const perProject = (await setBudget({ scope: 'PROJECT', projectId: project, period: 'MONTH', limit: '1000' })).data!.setBudget;
    const second = await createTestApp({}, { database: t.db });
    try {
      // Every reservation and every settlement locks the same two rows: in one order, or one call's
      // settlement and another's reservation deadlock. Callers in a loop keep both kinds overlapping.
      const failures: string[] = [];
      const before = t.db.queries.length;
      await Promise.all(
        Array.from({ length: 16 }, async (_, caller) => {
          for (let call = 0; call < 20; call += 1) {
            const result = await callLlm({ prompt: 'hi', maxTokens: 10, projectId: project }, member.token, caller % 2 ? second : t);
            if (result.errors) failures.push(String(result.errors[0]?.message));
          }
        }),
      );
      expect(failures).toEqual([]);
      for (const id of [user.id, perProject.id]) expect(await budgetRow(id)).toEqual({ spent: times(ACTUAL, 320), reserved: '0.00000000' });
      // Whether a deadlock happens depends on the rows' order on disk; the rule that prevents it does not:
      // every statement that wrote budgets (both replicas) took their locks in id order first.
      const writes = t.db.queries.slice(before).filter((sql) => /update specs\.budgets/.test(sql));
      expect(writes.length).toBeGreaterThanOrEqual(2 * 160);
      expect(writes.filter((sql) => !/from specs\.budgets[\s\S]*order by id for update/.test(sql))).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('charges the whole reservation when the provider reports no usage, and refuses unpriced models unless the budget allows them', async () => {
    const budget = (await setBudget({ scope: 'USER', userId: member.id, period: 'TOTAL', limit: '1' })).data!.setBudget;
    fakes.openai.script({ usage: null });
    expect((await callLlm({ prompt: 'hi', maxTokens: 10 })).errors).toBeUndefined();
    expect((await budgetRow(budget.id)).spent).toBe(RESERVED);
    const unpriced = await callLlm({ prompt: 'hi', model: 'gpt-from-next-week', maxTokens: 10 });
    expect(unpriced.errors?.[0]?.extensions?.code).toBe('BUDGET_EXCEEDED');
    expect(unpriced.errors?.[0]?.message).toMatch(/cannot be bounded: the catalogue has no price/);
    await setBudget({ scope: 'USER', userId: member.id, period: 'TOTAL', limit: '1', allowUnpriced: true });
    expect((await callLlm({ prompt: 'hi', model: 'gpt-from-next-week', maxTokens: 10 })).errors).toBeUndefined();
  });

  it('degrades an analysis refused by a budget to the local rules, with an event saying why', async () => {
    await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '0.00000001' });
    const incidentId = await createIncident(t, { title: 'api pods OOMKilled', description: 'Memory climbs until the pods are killed.', severity: 'HIGH' }, member.token);
    const done = await waitForRun(t, (await analyze(t, incidentId, { token: member.token })).id, finished, 20_000);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.events.find((event) => event.stage === 'fallback')?.message).toMatch(/refused: The budget .* would go over its limit/);
    expect(fakes.openai.requests).toHaveLength(0);
    const recommendations = await t.db.sql<{ is_fallback: boolean; provider: string }>('select is_fallback, provider from specs.recommendations where incident_id = $1 order by position', [incidentId]);
    expect(recommendations[0]).toMatchObject({ is_fallback: true });
    expect(recommendations.slice(1).every((row) => row.provider === 'LOCAL')).toBe(true);
    expect((await readRun(t, done.id, member.token)).status).toBe('SUCCEEDED');
  });
});

describe('the ledger', () => {
  it('releases the reservation of a call whose process died, once it expires', async () => {
    const budget = (await setBudget({ scope: 'GLOBAL', period: 'TOTAL', limit: '1' })).data!.setBudget;
    const ledger = new BudgetLedger(t.db.orm.em.fork());
    const reservation = await ledger.reserve({ id: member.id, role: 'MEMBER' }, null, () => ({ maxCost: '0.25000000', unbounded: null }));
    expect(reservation).not.toBeNull();
    expect((await budgetRow(budget.id)).reserved).toBe('0.25000000');
    expect(await ledger.sweep(new Date())).toBe(0);
    expect(await ledger.sweep(new Date(Date.now() + RESERVATION_TTL_MS + 1000))).toBe(1);
    expect(await budgetRow(budget.id)).toEqual({ spent: '0.00000000', reserved: '0.00000000' });
  });

  it('releases the reservation held on the PENDING row of a call whose process died when the row is settled ABORTED, once', async () => {
    const budget = (await setBudget({ scope: 'GLOBAL', period: 'TOTAL', limit: '1' })).data!.setBudget;
    const ledger = new BudgetLedger(t.db.orm.em.fork());
    const pending = { userId: member.id, projectId: null, provider: 'OPENAI' as const, model: 'gpt-4o-mini', streamed: false, tags: [], deadlineAt: new Date(Date.now() - 1000) };
    const reservation = (await ledger.reserve({ id: member.id, role: 'MEMBER' }, null, () => ({ maxCost: '0.25000000', unbounded: null }), pending))!;
    expect(reservation.usageId).toEqual(expect.any(String));
    expect(reservation.id).toBe(reservation.usageId);
    expect(await budgetRow(budget.id)).toEqual({ spent: '0.00000000', reserved: '0.25000000' });
    const writer = new UsageWriter(t.db.orm.em.fork());
    expect(await writer.sweepAbandoned()).toBe(1);
    expect(await budgetRow(budget.id)).toEqual({ spent: '0.00000000', reserved: '0.00000000' });
    expect(await writer.sweepAbandoned()).toBe(0);
    // Another call in flight: a second release of the swept reservation would show in its amount.
    await ledger.reserve({ id: member.id, role: 'MEMBER' }, null, () => ({ maxCost: '0.50000000', unbounded: null }), { ...pending, deadlineAt: new Date(Date.now() + 60_000) });
    // The call turns out to have finished after all: its charge counts, nothing is released twice.
    await writer.settle(reservation.usageId!, {
      userId: member.id, projectId: null, provider: 'OPENAI', model: 'gpt-4o-mini', inputTokens: 1, outputTokens: 1, cost: '0.10000000',
      latencyMs: 1, status: 'SUCCEEDED', errorClass: null, streamed: false, attempts: 1, settlement: ledger.settlement(reservation, '0.10000000', 'SUCCEEDED'),
    });
    expect(await budgetRow(budget.id)).toEqual({ spent: '0.10000000', reserved: '0.50000000' });
    expect(await t.db.sql('select status from specs.usage_records where id = $1', [reservation.usageId])).toEqual([{ status: 'ABORTED' }]);
  });

  it('gives back a reservation held on the row when the call goes on to a fallback, once', async () => {
    const budget = (await setBudget({ scope: 'GLOBAL', period: 'TOTAL', limit: '1' })).data!.setBudget;
    const ledger = new BudgetLedger(t.db.orm.em.fork());
    const pending = { userId: member.id, projectId: null, provider: 'OPENAI' as const, model: 'gpt-4o-mini', streamed: false, tags: [], deadlineAt: new Date(Date.now() + 60_000) };
    const first = (await ledger.reserve({ id: member.id, role: 'MEMBER' }, null, () => ({ maxCost: '0.25000000', unbounded: null }), pending))!;
    // Another call in flight: a second release would show in its amount.
    await ledger.reserve({ id: member.id, role: 'MEMBER' }, null, () => ({ maxCost: '0.05000000', unbounded: null }), pending);
    await ledger.release(first);
    await ledger.release(first);
    expect(await budgetRow(budget.id)).toEqual({ spent: '0.00000000', reserved: '0.05000000' });
    // The fallback's reservation is a row of its own; the settlement releases it and charges the call.
    const fallback = (await ledger.reserve({ id: member.id, role: 'MEMBER' }, null, () => ({ maxCost: '0.40000000', unbounded: null })))!;
    expect(fallback.usageId).toBeNull();
    expect(await budgetRow(budget.id)).toEqual({ spent: '0.00000000', reserved: '0.45000000' });
    await new UsageWriter(t.db.orm.em.fork()).settle(first.usageId!, {
      userId: member.id, projectId: null, provider: 'CLAUDE', model: 'claude-haiku', inputTokens: 1, outputTokens: 1, cost: '0.30000000',
      latencyMs: 1, status: 'SUCCEEDED', errorClass: null, streamed: false, attempts: 2, settlement: ledger.settlement(fallback, '0.30000000', 'SUCCEEDED'),
    });
    expect(await budgetRow(budget.id)).toEqual({ spent: '0.30000000', reserved: '0.05000000' });
    expect(await t.db.sql('select id from specs.budget_reservations')).toEqual([]);
  });

  it('starts a DAY budget afresh at UTC midnight', async () => {
    const budget = (await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '1' })).data!.setBudget;
    const beforeMidnight = new Date('2026-03-01T23:59:30Z');
    const ledger = (now: Date) => new BudgetLedger(t.db.orm.em.fork(), { now: () => now });
    const actor = { id: member.id, role: 'MEMBER' as const };
    const first = (await ledger(beforeMidnight).reserve(actor, null, () => ({ maxCost: '0.90000000', unbounded: null })))!;
    await new UsageWriter(t.db.orm.em.fork()).record({
      userId: member.id, projectId: null, provider: 'OPENAI', model: 'gpt-4o-mini', inputTokens: 1, outputTokens: 1, cost: '0.80000000',
      latencyMs: 1, status: 'SUCCEEDED', errorClass: null, streamed: false, attempts: 1, at: beforeMidnight,
      settlement: { reservationId: first.id, onRow: first.usageId !== null, budgetIds: first.budgetIds, reserved: first.amount, charge: '0.80000000' },
    });
    expect(await budgetRow(budget.id)).toEqual({ spent: '0.80000000', reserved: '0.00000000' });
    await expect(ledger(new Date('2026-03-01T23:59:50Z')).reserve(actor, null, () => ({ maxCost: '0.30000000', unbounded: null }))).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    const next = await ledger(new Date('2026-03-02T00:00:01Z')).reserve(actor, null, () => ({ maxCost: '0.30000000', unbounded: null }));
    expect(next).not.toBeNull();
    expect(await budgetRow(budget.id)).toEqual({ spent: '0.00000000', reserved: '0.30000000' });
  });
});

describe('budgeted settlements through the group commit', () => {
  const actor = () => ({ id: member.id, role: 'MEMBER' as const });
  const outcome = (projectId: string | null, cost: string | null, at?: Date): UsageEntry => ({
    userId: member.id, projectId, provider: 'OPENAI', model: 'gpt-4o-mini', inputTokens: cost ? 10 : null, outputTokens: cost ? 5 : null, cost,
    latencyMs: 3, status: 'SUCCEEDED', errorClass: null, streamed: false, attempts: 1, ...(at ? { at } : {}),
  });
  /** Reserves `amount` for a call and opens its PENDING row in the reservation's statement, as the call path does. */
  async function reserved(ledger: BudgetLedger, projectId: string | null, amount: string) {
    const pending = { userId: member.id, projectId, provider: 'OPENAI' as const, model: 'gpt-4o-mini', streamed: false, tags: [], deadlineAt: new Date(Date.now() + 60_000) };
    return (await ledger.reserve(actor(), projectId, () => ({ maxCost: amount, unbounded: null }), pending))!;
  }

  it('settles several calls under shared budgets in one statement, with the same rows, spend and releases as one by one', async () => {
    const project = (await t.graphql<{ createProject: { id: string } }>('mutation { createProject(input: { name: "batched budgets" }) { id } }', { token: member.token })).data!.createProject.id;
    const global = (await setBudget({ scope: 'GLOBAL', period: 'MONTH', limit: '10', warnAt: 0.5 })).data!.setBudget;
    const user = (await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '10' })).data!.setBudget;
    const perProject = (await setBudget({ scope: 'PROJECT', projectId: project, period: 'TOTAL', limit: '10' })).data!.setBudget;
    const ledger = new BudgetLedger(t.db.orm.em.fork());
    // Six calls: half in the project (three budgets), half outside it (two); one cost unknown (charged its reservation), one refunded whole.
    const calls = Array.from({ length: 6 }, (_, index) => ({ projectId: index % 2 ? project : null, cost: index === 4 ? null : `0.0${index + 1}000000`, reserve: `0.${index + 1}0000000` }));
    const settle = async (writer: () => UsageWriter) => {
      const reservations = await Promise.all(calls.map((call) => reserved(ledger, call.projectId, call.reserve)));
      const results = await Promise.all(
        calls.map((call, index) => {
          const reservation = reservations[index]!;
          const entry = { ...outcome(call.projectId, call.cost), settlement: ledger.settlement(reservation, call.cost, 'SUCCEEDED') };
          return writer().settle(reservation.usageId!, entry);
        }),
      );
      return { reservations, results };
    };
    const columns = 'user_id, project_id, status, input_tokens, output_tokens, cost::text';
    const rowsOf = async (ids: string[]) => Promise.all(ids.map(async (id) => (await t.db.sql(`select ${columns} from specs.usage_records where id = $1`, [id]))[0]));
    const budgetsNow = async () => Promise.all([global, user, perProject].map((budget) => budgetRow(budget.id)));

    // One by one: each settlement its own statement.
    const alone = await settle(() => new UsageWriter(t.db.orm.em.fork()));
    const afterAlone = await budgetsNow();
    // The charges: 0.01 + 0.02 + 0.03 + 0.04 + 0.5 (the unknown cost: its whole reservation) + 0.06; the project's: 0.02 + 0.04 + 0.06.
    expect(afterAlone.map((budget) => budget.spent)).toEqual(['0.66000000', '0.66000000', '0.12000000']);
    expect(afterAlone.map((budget) => budget.reserved)).toEqual(['0.00000000', '0.00000000', '0.00000000']);

    // The same six through the group commit: one statement for the six settlements.
    const flushes: { kind: string; rows: number }[] = [];
    const batch = createLedgerBatch(t.db.orm.em.fork(), (kind, rows) => flushes.push({ kind, rows }));
    const before = t.db.queries.length;
    const batched = await settle(() => new UsageWriter(t.db.orm.em.fork(), batch));
    expect(flushes).toEqual([{ kind: 'budgeted', rows: 6 }]);
    expect(t.db.queries.slice(before).filter((sql) => /update specs\.budgets/.test(sql) && sql.includes('jsonb_to_recordset'))).toHaveLength(1);
    expect(await rowsOf(batched.reservations.map((reservation) => reservation.usageId!))).toEqual(await rowsOf(alone.reservations.map((reservation) => reservation.usageId!)));
    const afterBatch = await budgetsNow();
    expect(afterBatch.map((budget) => budget.spent)).toEqual(['1.32000000', '1.32000000', '0.24000000']);
    expect(afterBatch.map((budget) => budget.reserved)).toEqual(['0.00000000', '0.00000000', '0.00000000']);
    expect(await t.db.sql('select id from specs.budget_reservations')).toEqual([]);
    // Each call learns the budgets it was charged to, as the statement left them (warnAt reads them).
    for (const [index, result] of batched.results.entries()) {
      expect(result.map((budget) => budget.id).sort()).toEqual([...batched.reservations[index]!.budgetIds].sort());
      expect(result.find((budget) => budget.id === global.id)).toMatchObject({ spent: '1.32000000', limit_amount: '10.00000000', warn_at: 0.5 });
    }
  });

  it('releases in one statement reservations held on rows and a fallback\u2019s of its own, and a row settled already releases nothing again', async () => {
    const budget = (await setBudget({ scope: 'GLOBAL', period: 'TOTAL', limit: '10' })).data!.setBudget;
    const ledger = new BudgetLedger(t.db.orm.em.fork());
    const [onRow, fallen, swept] = [await reserved(ledger, null, '1.00000000'), await reserved(ledger, null, '2.00000000'), await reserved(ledger, null, '4.00000000')];
    // The second call went on to a fallback: its row's reservation back, one of its own instead.
    await ledger.release(fallen);
    const fallback = (await ledger.reserve(actor(), null, () => ({ maxCost: '0.50000000', unbounded: null })))!;
    expect(fallback.usageId).toBeNull();
    // The third was settled by the sweeper already (its reservation released then).
    await t.db.sql(`update specs.usage_records set deadline_at = now() - interval '1 minute' where id = $1`, [swept.usageId]);
    expect(await new UsageWriter(t.db.orm.em.fork()).sweepAbandoned()).toBe(1);
    expect(await budgetRow(budget.id)).toEqual({ spent: '0.00000000', reserved: '1.50000000' });
    // A call still in flight keeps its reservation through all of it (a second release of the swept one would show here).
    await reserved(ledger, null, '3.00000000');
    const flushes: string[] = [];
    const batch = createLedgerBatch(t.db.orm.em.fork(), (kind, rows) => flushes.push(`${kind} ${rows}`));
    const writer = () => new UsageWriter(t.db.orm.em.fork(), batch);
    await Promise.all([
      writer().settle(onRow.usageId!, { ...outcome(null, '0.10000000'), settlement: ledger.settlement(onRow, '0.10000000', 'SUCCEEDED') }),
      writer().settle(fallen.usageId!, { ...outcome(null, '0.20000000'), settlement: ledger.settlement(fallback, '0.20000000', 'SUCCEEDED') }),
      writer().settle(swept.usageId!, { ...outcome(null, '0.40000000'), settlement: ledger.settlement(swept, '0.40000000', 'SUCCEEDED') }),
    ]);
    expect(flushes).toEqual(['budgeted 3']);
    // Every charge counts (the swept call was billed after all); every reservation is released exactly once.
    expect(await budgetRow(budget.id)).toEqual({ spent: '0.70000000', reserved: '3.00000000' });
    expect(await t.db.sql('select id from specs.budget_reservations')).toEqual([]);
    const statuses = await t.db.sql<{ id: string; status: string }>('select id, status from specs.usage_records where id = any($1)', [[onRow.usageId, fallen.usageId, swept.usageId]]);
    expect(Object.fromEntries(statuses.map((row) => [row.id, row.status]))).toEqual({ [onRow.usageId!]: 'SUCCEEDED', [fallen.usageId!]: 'SUCCEEDED', [swept.usageId!]: 'ABORTED' });
  });

  it('keeps only the later period\u2019s charges when a DAY budget turns between two settlements of one statement', async () => {
    const budget = (await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit: '5' })).data!.setBudget;
    const ledger = new BudgetLedger(t.db.orm.em.fork(), { now: () => new Date('2026-03-01T23:59:00Z') });
    const [late, early] = [await reserved(ledger, null, '1.00000000'), await reserved(ledger, null, '2.00000000')];
    await t.db.sql(`update specs.budgets set spent = 0.4 where id = $1`, [budget.id]);
    const batch = createLedgerBatch(t.db.orm.em.fork());
    const writer = () => new UsageWriter(t.db.orm.em.fork(), batch);
    // Sent in the other order than their times: the result is that of their times' order.
    await Promise.all([
      writer().settle(late.usageId!, { ...outcome(null, '0.30000000', new Date('2026-03-02T00:00:02Z')), settlement: ledger.settlement(late, '0.30000000', 'SUCCEEDED') }),
      writer().settle(early.usageId!, { ...outcome(null, '0.20000000', new Date('2026-03-01T23:59:58Z')), settlement: ledger.settlement(early, '0.20000000', 'SUCCEEDED') }),
    ]);
    const [row] = await t.db.sql<{ spent: string; reserved: string; period_start: Date }>('select spent::text, reserved::text, period_start from specs.budgets where id = $1', [budget.id]);
    expect(row).toEqual({ spent: '0.30000000', reserved: '0.00000000', period_start: new Date('2026-03-02T00:00:00Z') });
  });
});

describe('budgetEvents', () => {
  /** Opens the subscription for a user over SSE and returns a reader of its events. */
  async function follow(token: string) {
    const controller = new AbortController();
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'subscription { budgetEvents { kind spent limit at budget { id scope } } }' }),
      signal: controller.signal,
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    return {
      async next(): Promise<{ kind: string; spent: string; limit: string; budget: { id: string; scope: string } }> {
        for (;;) {
          const line = buffer.split('\n').find((candidate) => candidate.startsWith('data: {'));
          if (line) {
            buffer = buffer.slice(buffer.indexOf(line) + line.length);
            return JSON.parse(line.slice(6)).data.budgetEvents;
          }
          const chunk = await reader.read();
          if (chunk.done) throw new Error('the subscription ended');
          buffer += chunk.value;
        }
      },
      close: () => controller.abort(),
    };
  }

  it('tells the users under a budget when it refuses a call (EXCEEDED) and when spend crosses warnAt (WARNING), once per period', async () => {
    const limit = times(RESERVED, 3);
    const budget = (await setBudget({ scope: 'USER', userId: member.id, period: 'DAY', limit, warnAt: 0.2 })).data!.setBudget;
    const events = await follow(member.token);
    const outsider = await follow(other.token);
    try {
      expect((await callLlm({ prompt: 'hi', maxTokens: 10 })).errors).toBeUndefined();
      expect((await callLlm({ prompt: 'hi', maxTokens: 10 })).errors).toBeUndefined();
      const warning = await events.next();
      expect(warning).toMatchObject({ kind: 'WARNING', limit, budget: { id: budget.id, scope: 'USER' } });
      expect(parseDecimal(warning.spent, 8) >= parseDecimal(limit, 8) * 2n / 10n).toBe(true);
      const refused = await callLlm({ prompt: 'hi', maxTokens: 100000 });
      expect(refused.errors?.[0]?.extensions?.code).toBe('BUDGET_EXCEEDED');
      // The next event is the refusal: the second settled call did not warn again in the same period.
      expect(await events.next()).toMatchObject({ kind: 'EXCEEDED', budget: { id: budget.id } });
      // Someone under no such budget hears nothing of it: their first event is their own budget's.
      await setBudget({ scope: 'USER', userId: other.id, period: 'DAY', limit: '0.00000001' });
      expect((await callLlm({ prompt: 'hi', maxTokens: 10 }, other.token)).errors?.[0]?.extensions?.code).toBe('BUDGET_EXCEEDED');
      expect(await outsider.next()).toMatchObject({ kind: 'EXCEEDED', budget: { scope: 'USER' } });
    } finally {
      events.close();
      outsider.close();
    }
  });
});
