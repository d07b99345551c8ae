import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthService } from '../../../src/modules/auth/auth.service.ts';
import { UsageWriter } from '../../../src/modules/usage/usage.writer.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../../support/fake-llm/fake-llm-servers.ts';
import { startGateway, type GatewayProcess } from '../../support/gateway-process.ts';
import { waitFor } from '../../support/process.ts';

// Every paid call is on the books, whatever happens to the process serving it: its usage row is written
// PENDING before the provider is called, and a row whose process died (SIGKILL: no shutdown at all) is
// settled ABORTED by the sweeper, exactly once, its budget reservation released.
let fakes: FakeLlmServers;
let db: TestDatabase;
let adminToken: string;

const rows = () =>
  db.sql<{ status: string; error_class: string | null; provider: string; streamed: boolean; deadline_at: Date | null }>(
    'select status, error_class, provider, streamed, deadline_at from specs.usage_records order by created_at',
  );

beforeAll(async () => {
  [fakes, db] = await Promise.all([startFakeLlmServers(), createTestDatabase()]);
  adminToken = (await new AuthService(db.orm.em.fork()).createUser({ email: 'ledger@example.com', role: 'ADMIN' })).token;
}, 120_000);
afterAll(async () => {
  await Promise.all([db?.drop(), fakes?.close()]);
});
beforeEach(async () => {
  fakes.reset();
  for (const table of ['usage_records', 'usage_daily', 'usage_hourly', 'usage_daily_totals', 'budget_reservations']) await db.sql(`delete from specs.${table}`);
  await db.sql('update specs.budgets set reserved = 0, spent = 0');
});

async function gatewayWithProvider(): Promise<GatewayProcess> {
  // A short call deadline: a PENDING row of a dead process is abandoned a minute after it.
  const gateway = await startGateway({ DATABASE_URL: db.url, WORKERS: 'false', CALL_DEADLINE_SECONDS: '5' }, adminToken);
  const existing = await db.sql('select id from specs.intelligence_providers');
  if (existing.length === 0) {
    const configured = await gateway.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
      variables: { input: { name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-ledger-0000', isActive: true } },
    });
    expect(configured.errors).toBeUndefined();
    const budget = await gateway.graphql('mutation { setBudget(input: { scope: GLOBAL, period: DAY, limit: "100" }) { id } }');
    expect(budget.errors).toBeUndefined();
  }
  return gateway;
}

describe('the call ledger through a crash', () => {
  it.each([
    ['a non-streamed callLlm', false],
    ['a streamed llmStream, mid-stream', true],
  ])('settles %s whose process was SIGKILLed as ABORTED, once, and frees its reservation', async (_name, streamed) => {
    const gateway = await gatewayWithProvider();
    fakes.openai.script(streamed ? { midStream: { afterDeltas: 2, mode: 'stall' } } : { delayMs: 60_000 });
    const query = streamed
      ? 'subscription { llmStream(input: { prompt: "Say hello", maxTokens: 50 }) { delta done } }'
      : 'mutation { callLlm(input: { prompt: "Say hello", maxTokens: 50 }) { text } }';
    const pending = fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, ...(streamed ? { accept: 'text/event-stream' } : {}) },
      body: JSON.stringify({ query }),
    })
      .then((response) => response.text())
      .catch((error: unknown) => error);
    await waitFor(() => fakes.openai.requests.length > 0, 20_000, 'the provider call');
    // In flight: the row is on the books already, and the budget holds the call's bound.
    expect(await rows()).toEqual([expect.objectContaining({ status: 'PENDING', streamed })]);
    const [held] = await db.sql<{ reserved: string }>('select reserved::text from specs.budgets');
    expect(Number(held!.reserved)).toBeGreaterThan(0);

    await gateway.kill();
    await pending;
    // Nobody settled it: the process died.
    expect(await rows()).toEqual([expect.objectContaining({ status: 'PENDING' })]);

    // Before its deadline the sweeper leaves it alone (a live call may still settle it) ...
    const writer = new UsageWriter(db.orm.em.fork());
    expect(await writer.sweepAbandoned(new Date())).toBe(0);
    // ... after it, the row is settled ABORTED, once.
    const later = new Date(Date.now() + 10 * 60_000);
    expect(await writer.sweepAbandoned(later)).toBe(1);
    expect(await writer.sweepAbandoned(later)).toBe(0);
    expect(await rows()).toEqual([expect.objectContaining({ status: 'ABORTED', error_class: 'PROCESS_DIED', provider: 'OPENAI', streamed, deadline_at: null })]);
    // Folded into the rollups, it counts there (a call of unknown cost).
    await writer.foldRollups();
    const [daily] = await db.sql<{ calls: number; unknown_cost_calls: number }>('select sum(calls)::int as calls, sum(unknown_cost_calls)::int as unknown_cost_calls from specs.usage_daily');
    expect(daily).toEqual({ calls: 1, unknown_cost_calls: 1 });

    // The reservation the dead call held on its row went back when the sweeper settled the row.
    const [freed] = await db.sql<{ reserved: string; spent: string }>('select reserved::text, spent::text from specs.budgets');
    expect(freed).toEqual({ reserved: '0.00000000', spent: '0.00000000' });
    expect(await db.sql('select id from specs.budget_reservations')).toEqual([]);
  }, 120_000);

  it('a call that ends normally is settled by its own process, and the sweeper finds nothing', async () => {
    const gateway = await gatewayWithProvider();
    try {
      const answer = await gateway.graphql<{ callLlm: { text: string } }>('mutation { callLlm(input: { prompt: "Say hello", maxTokens: 50 }) { text } }');
      expect(answer.errors).toBeUndefined();
      expect(await rows()).toEqual([expect.objectContaining({ status: 'SUCCEEDED', deadline_at: null })]);
      // The gateway folds it into the rollups by itself, off the call's path (every second by default).
      await waitFor(async () => (await db.sql('select 1 from specs.usage_records where folded')).length === 1, 10_000, 'the background fold');
      const [daily] = await db.sql<{ calls: number }>('select sum(calls)::int as calls from specs.usage_daily');
      expect(daily).toEqual({ calls: 1 });
      expect(await new UsageWriter(db.orm.em.fork()).sweepAbandoned(new Date(Date.now() + 10 * 60_000))).toBe(0);
    } finally {
      await gateway.stop();
    }
  }, 120_000);
});
