import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IdempotencyService } from '../../src/modules/idempotency/idempotency.service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

let t: TestApp;
let fakes: FakeLlmServers;
let member: { id: string; token: string };

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp();
  member = await t.createUser('idempotent@example.com');
  await t.configureProvider({ name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-config', isActive: true });
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.usage_records');
  await t.db.sql('delete from specs.idempotency_keys');
});

type Result = { text: string; inputTokens: number; latencyMs: number };
const callLlm = (input: Record<string, unknown>, app: TestApp = t) =>
  app.graphql<{ callLlm: Result }>('mutation($input: CallLlmInput!) { callLlm(input: $input) { text inputTokens latencyMs } }', { variables: { input }, token: member.token });
const usageRows = async () => (await t.db.sql<{ n: string }>('select count(*)::text as n from specs.usage_records'))[0]!.n;

describe('idempotent calls', () => {
  it('returns the first result again for the same key, with no second upstream call and no second usage row', async () => {
    const first = await callLlm({ prompt: 'hi', idempotencyKey: 'order-1' });
    expect(first.errors).toBeUndefined();
    fakes.openai.script({ text: 'A different answer.' });
    const again = await callLlm({ prompt: 'hi', idempotencyKey: 'order-1' });
    expect(again.data?.callLlm).toEqual(first.data?.callLlm);
    expect(fakes.openai.requests).toHaveLength(1);
    expect(await usageRows()).toBe('1');
    // Another key is another call.
    expect((await callLlm({ prompt: 'hi', idempotencyKey: 'order-2' })).data?.callLlm.text).toBe('A different answer.');
    expect(fakes.openai.requests).toHaveLength(2);
  });

  it('makes one upstream call for concurrent requests with one key, across two replicas', async () => {
    fakes.openai.script({ delayMs: 150 });
    const second = await createTestApp({}, { database: t.db });
    try {
      const results = await Promise.all(Array.from({ length: 8 }, (_, index) => callLlm({ prompt: 'hi', idempotencyKey: 'burst' }, index % 2 ? second : t)));
      for (const result of results) expect(result.errors).toBeUndefined();
      expect(new Set(results.map((result) => JSON.stringify(result.data?.callLlm))).size).toBe(1);
      expect(fakes.openai.requests).toHaveLength(1);
      expect(await usageRows()).toBe('1');
    } finally {
      await second.close();
    }
  });

  it('refuses the same key with a different input as CONFLICT, and reaches no provider', async () => {
    await callLlm({ prompt: 'hi', idempotencyKey: 'order-3' });
    const clash = await callLlm({ prompt: 'hello', idempotencyKey: 'order-3' });
    expect(clash.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(fakes.openai.requests).toHaveLength(1);
    // The same input with its fields in another order is the same call.
    const same = await callLlm({ maxTokens: 5, prompt: 'hi', idempotencyKey: 'order-4' });
    const reordered = await callLlm({ prompt: 'hi', idempotencyKey: 'order-4', maxTokens: 5 });
    expect(reordered.data?.callLlm).toEqual(same.data?.callLlm);
  });

  it('gives the key back when the call fails, so a retry runs', async () => {
    fakes.openai.failNext({ status: 400, body: { error: { message: 'bad request', type: 'invalid_request_error' } } });
    const failed = await callLlm({ prompt: 'hi', idempotencyKey: 'order-5' });
    expect(failed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const retried = await callLlm({ prompt: 'hi', idempotencyKey: 'order-5' });
    expect(retried.errors).toBeUndefined();
    expect(fakes.openai.requests).toHaveLength(2);
  });

  it('serves a repeated key on llmStream as one final event with the stored result', async () => {
    const stream = async () => {
      const response = await t.app.yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${member.token}` },
        body: JSON.stringify({ query: 'subscription { llmStream(input: { prompt: "hi", idempotencyKey: "stream-1" }) { delta done result { text latencyMs } } }' }),
      });
      return (await response.text()).split('\n').filter((line) => line.startsWith('data: {')).map((line) => JSON.parse(line.slice(6)).data.llmStream);
    };
    const first = await stream();
    expect(first.length).toBeGreaterThan(2);
    const again = await stream();
    expect(again).toEqual([{ delta: null, done: true, result: first.at(-1).result }]);
    expect(fakes.openai.requests).toHaveLength(1);
    expect(await usageRows()).toBe('1');
  });

  it('forgets keys after 24 hours', async () => {
    await callLlm({ prompt: 'hi', idempotencyKey: 'old' });
    expect(await new IdempotencyService(t.db.orm.em.fork()).sweep(new Date(Date.now() + 25 * 3_600_000))).toBe(1);
    await callLlm({ prompt: 'hi', idempotencyKey: 'old' });
    expect(fakes.openai.requests).toHaveLength(2);
  });
});
