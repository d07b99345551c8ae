import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeCost } from '../../src/llm/catalogue.ts';
import { formatDecimal, parseDecimal } from '../../src/llm/decimal.ts';
import { UsageReader } from '../../src/modules/usage/usage.reader.ts';
import { UsageWriter } from '../../src/modules/usage/usage.writer.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

let t: TestApp;
let fakes: FakeLlmServers;
let member: { id: string; token: string };

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp();
  member = await t.createUser('tags@example.com');
  await t.configureProvider({ name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-config', isActive: true });
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});

const callLlm = (input: Record<string, unknown>) =>
  t.graphql<{ callLlm: { cost: string } }>('mutation($input: CallLlmInput!) { callLlm(input: $input) { cost } }', { variables: { input }, token: member.token });

describe('usage by tag', () => {
  it('records a call\u2019s tags and sums them per tag, exactly, without changing the totals', async () => {
    expect((await callLlm({ prompt: 'hi', tags: ['team:search', 'feature/chat'] })).errors).toBeUndefined();
    expect((await callLlm({ prompt: 'hi', tags: ['team:search', 'team:search'] })).errors).toBeUndefined();
    expect((await callLlm({ prompt: 'hi' })).errors).toBeUndefined();
    const one = computeCost('OPENAI', 'gpt-4o-mini', { inputTokens: 12, outputTokens: 7 })!;
    const rows = await t.db.sql<{ tags: string[] }>('select tags from specs.usage_records where user_id = $1 order by created_at', [member.id]);
    expect(rows.map((row) => row.tags)).toEqual([['feature/chat', 'team:search'], ['team:search'], []]);
    const response = await t.graphql<{ usage: { calls: number; totalCost: string; byTag: { key: string; calls: number; tokens: number; cost: string }[] } }>(
      '{ usage { calls totalCost byTag { key calls tokens cost } } }',
      { token: member.token },
    );
    expect(response.data?.usage.calls).toBe(3);
    expect(response.data?.usage.byTag).toEqual([
      { key: 'feature/chat', calls: 1, tokens: 19, cost: one },
      { key: 'team:search', calls: 2, tokens: 38, cost: formatDecimal(parseDecimal(one, 8) * 2n, 8) },
    ]);
  });

  it('refuses bad tags with BAD_USER_INPUT before any provider is asked', async () => {
    const before = fakes.openai.requests.length;
    for (const tags of [['has space'], Array.from({ length: 11 }, (_, index) => `t${index}`), ['x'.repeat(65)]]) {
      const response = await callLlm({ prompt: 'hi', tags });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(fakes.openai.requests.length).toBe(before);
  });

  it('reads the same per-tag sums from the rollups as from raw rows, over random ranges', async () => {
    const writer = new UsageWriter(t.db.orm.em.fork());
    const user = await t.createUser('tags-random@example.com');
    const start = Date.parse('2026-05-01T00:00:00Z');
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const tags = ['a', 'b', 'c', 'd'];
    for (let i = 0; i < 300; i += 1) {
      const chosen = tags.filter(() => random() < 0.4);
      await writer.record({
        userId: user.id, projectId: null, provider: 'OPENAI', model: 'gpt-4o-mini', inputTokens: Math.floor(random() * 100), outputTokens: Math.floor(random() * 50),
        cost: formatDecimal(BigInt(Math.floor(random() * 1_000_000)), 8), latencyMs: 1, status: 'SUCCEEDED', errorClass: null, streamed: false, attempts: 1,
        at: new Date(start + Math.floor(random() * 5 * 86_400_000)), tags: chosen,
      });
    }
    const reader = new UsageReader(t.db.orm.em.fork());
    for (let i = 0; i < 25; i += 1) {
      const from = new Date(start + Math.floor(random() * 3 * 86_400_000));
      const to = new Date(from.getTime() + Math.floor(random() * 2 * 86_400_000));
      const buckets = await reader.tagBuckets({ userIds: [user.id], from, to });
      const raw = await t.db.sql<{ key: string; calls: string; cost: string }>(
        `select tag as key, count(*)::text as calls, sum(cost)::numeric(24,8)::text as cost from specs.usage_records, unnest(tags) as tag
         where user_id = $1 and created_at >= $2 and created_at < $3 group by tag order by tag`,
        [user.id, from.toISOString(), to.toISOString()],
      );
      expect(buckets.map(({ key, calls, cost }) => ({ key, calls: String(calls), cost }))).toEqual(raw);
    }
  });
});
