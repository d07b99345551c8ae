import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { computeCost, defaultModel } from '../../src/llm/catalogue.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

// The response cache in the call path: `cache: true` (or config.cacheTtlSeconds) answers an identical
// call again with no upstream request, cost 0, and a usage row marked cached with what it saved; it is
// keyed per user (or per project) and never crosses users.
let t: TestApp;
let fakes: FakeLlmServers;
let member: { id: string; token: string };
let other: { id: string; token: string };
const KEY = 'sk-cache-test-key-0000';
const MODEL = defaultModel('OPENAI');
const COST = computeCost('OPENAI', MODEL, { inputTokens: 12, outputTokens: 7 })!;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp();
  member = await t.createUser('cache-member@example.com');
  other = await t.createUser('cache-other@example.com');
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.intelligence_providers');
  await t.db.sql('delete from specs.usage_records');
  await t.db.sql('delete from specs.response_cache');
  await t.configureProvider({ name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: KEY, isActive: true });
});

interface Result {
  text: string;
  cost: string | null;
  cached: boolean;
  attempts: { ok: boolean }[];
  inputTokens: number | null;
}

async function callLlm(input: Record<string, unknown>, token = member.token) {
  const response = await t.graphql<{ callLlm: Result }>('mutation($input: CallLlmInput!) { callLlm(input: $input) { text cost cached inputTokens attempts { ok } } }', {
    variables: { input: { prompt: 'Say hello', maxTokens: 50, ...input } },
    token,
  });
  expect(response.errors).toBeUndefined();
  return response.data!.callLlm;
}

const usageRows = () =>
  t.db.sql<{ user_id: string; cost: string | null; cached: boolean; saved_cost: string | null; attempts: number }>(
    'select user_id, cost, cached, saved_cost, attempts from specs.usage_records order by created_at',
  );

describe('the response cache', () => {
  it('answers an identical call again at cost 0, with no upstream request and a cached usage row', async () => {
    const first = await callLlm({ cache: true });
    expect(first).toMatchObject({ cached: false, cost: COST });
    const before = t.db.queries.length;
    const again = await callLlm({ cache: true });
    expect(again).toMatchObject({ text: first.text, cached: true, cost: '0', attempts: [], inputTokens: 12 });
    expect(fakes.openai.requests).toHaveLength(1);
    // A hit on the replica that stored the answer: its own copy (no lookup statement), then the hit's usage
    // row, which paid nothing and so commits without waiting for the WAL flush.
    const statements = t.db.queries.slice(before);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/insert into specs\.usage_records[\s\S]*set_config\('synchronous_commit', 'off', true\)/);
    // Another replica has no copy: it reads the shared row once, then serves its own copy.
    const second = await createTestApp({}, { database: t.db });
    try {
      const elsewhere = async () => {
        const response = await second.graphql<{ callLlm: Result }>('mutation { callLlm(input: { prompt: "Say hello", maxTokens: 50, cache: true }) { text cached } }', {
          token: member.token,
        });
        return response.data?.callLlm;
      };
      const beforeSecond = t.db.queries.length;
      expect(await elsewhere()).toEqual({ text: first.text, cached: true });
      expect(t.db.queries.slice(beforeSecond).filter((sql) => /from specs\.response_cache/.test(sql))).toHaveLength(1);
      const beforeThird = t.db.queries.length;
      expect(await elsewhere()).toEqual({ text: first.text, cached: true });
      expect(t.db.queries.slice(beforeThird).filter((sql) => /from specs\.response_cache/.test(sql))).toHaveLength(0);
    } finally {
      await second.close();
    }
    expect(fakes.openai.requests).toHaveLength(1);
    expect(await usageRows()).toEqual([
      { user_id: member.id, cost: COST, cached: false, saved_cost: null, attempts: 1 },
      { user_id: member.id, cost: '0.00000000', cached: true, saved_cost: COST, attempts: 0 },
      { user_id: member.id, cost: '0.00000000', cached: true, saved_cost: COST, attempts: 0 },
      { user_id: member.id, cost: '0.00000000', cached: true, saved_cost: COST, attempts: 0 },
    ]);
    // The usage summary counts the cached calls at 0.
    const summary = await t.graphql<{ usage: { totalCost: string; calls: number } }>('{ usage { totalCost calls } }', { token: member.token });
    expect(summary.data?.usage).toMatchObject({ totalCost: COST, calls: 4 });
  });

  it('records a hit under its own call\u2019s tags, not those of the call that stored the answer', async () => {
    await callLlm({ cache: true, tags: ['stored-by'] });
    expect(await callLlm({ cache: true, tags: ['nightly', 'team-a'] })).toMatchObject({ cached: true });
    expect(await t.db.sql('select cached, tags from specs.usage_records order by created_at')).toEqual([
      { cached: false, tags: ['stored-by'] },
      { cached: true, tags: ['nightly', 'team-a'] },
    ]);
  });

  it('misses on any differing parameter', async () => {
    await callLlm({ cache: true });
    const variations: Record<string, unknown>[] = [
      { prompt: 'Say hello!' },
      { system: 'Be brief.' },
      { maxTokens: 51 },
      { temperature: 0.5 },
      { model: 'gpt-4o' },
      { responseFormat: { type: 'JSON_OBJECT' } },
      { tools: [{ name: 'get_time', parameters: { type: 'object', properties: {} } }] },
    ];
    for (const variation of variations) expect((await callLlm({ cache: true, ...variation })).cached).toBe(false);
    expect(fakes.openai.requests).toHaveLength(1 + variations.length);
  });

  it('never serves one user\u2019s answer to another', async () => {
    await callLlm({ cache: true }, member.token);
    expect((await callLlm({ cache: true }, other.token)).cached).toBe(false);
    expect((await callLlm({ cache: true }, other.token)).cached).toBe(true);
    expect(fakes.openai.requests).toHaveLength(2);
  });

  it('shares answers within a project its readers can see, not outside it', async () => {
    const project = await t.graphql<{ createProject: { id: string } }>('mutation { createProject(input: { name: "Cached" }) { id } }', { token: member.token });
    const projectId = project.data!.createProject.id;
    await callLlm({ cache: true, projectId }, member.token);
    // The admin can read the member's project: the project's answer is theirs too.
    expect((await callLlm({ cache: true, projectId }, t.adminToken)).cached).toBe(true);
    // Outside the project the same call is the member's own, not the project's.
    expect((await callLlm({ cache: true }, member.token)).cached).toBe(false);
    // Another member cannot use the project at all.
    const refused = await t.graphql('mutation($input: CallLlmInput!) { callLlm(input: $input) { cached } }', {
      variables: { input: { prompt: 'Say hello', maxTokens: 50, cache: true, projectId } },
      token: other.token,
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('serves nothing once an answer expired, and stores the fresh one', async () => {
    await callLlm({ cache: true });
    await t.db.sql("update specs.response_cache set expires_at = now() - interval '1 second'");
    expect((await callLlm({ cache: true })).cached).toBe(false);
    expect((await callLlm({ cache: true })).cached).toBe(true);
    expect(fakes.openai.requests).toHaveLength(2);
  });

  it('caches every call of a configuration with cacheTtlSeconds, unless the call says cache: false', async () => {
    await t.db.sql('delete from specs.intelligence_providers');
    await t.configureProvider({ name: 'cached', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI, cacheTtlSeconds: 600 }, apiKey: KEY, isActive: true });
    await callLlm({});
    expect((await callLlm({})).cached).toBe(true);
    expect((await callLlm({ cache: false })).cached).toBe(false);
    const [entry] = await t.db.sql<{ ttl: number }>('select extract(epoch from expires_at - created_at)::int as ttl from specs.response_cache');
    expect(entry!.ttl).toBe(600);
  });

  it('does not cache without being asked, nor a failed call', async () => {
    await callLlm({});
    expect((await callLlm({})).cached).toBe(false);
    fakes.openai.failNext({ status: 400, body: { error: { message: 'bad' } } });
    const failed = await t.graphql('mutation { callLlm(input: { prompt: "Fail", maxTokens: 50, cache: true }) { cached } }', { token: member.token });
    expect(failed.errors).toBeDefined();
    expect(await t.db.sql('select key from specs.response_cache')).toHaveLength(0);
  });

  it('replays a cached answer to a stream as deltas, then the result', async () => {
    await callLlm({ cache: true });
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${member.token}` },
      body: JSON.stringify({ query: 'subscription { llmStream(input: { prompt: "Say hello", maxTokens: 50, cache: true }) { delta done result { cached cost text } } }' }),
    });
    const events = (await response.text())
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line !== 'data: ')
      .map((line) => (JSON.parse(line.slice(6)) as { data: { llmStream: { delta: string | null; done: boolean; result: { cached: boolean; cost: string; text: string } | null } } }).data.llmStream);
    const deltas = events.filter((event) => !event.done).map((event) => event.delta);
    const done = events.find((event) => event.done)!;
    expect(deltas.join('')).toBe(done.result!.text);
    expect(deltas.length).toBeGreaterThan(0);
    expect(done.result).toMatchObject({ cached: true, cost: '0' });
    expect(fakes.openai.requests).toHaveLength(1);
    const rows = await t.db.sql<{ cached: boolean; streamed: boolean }>('select cached, streamed from specs.usage_records order by created_at');
    expect(rows).toEqual([
      { cached: false, streamed: false },
      { cached: true, streamed: true },
    ]);
  });

  it('works through the OpenAI-compatible endpoint with X-Agora-Cache', async () => {
    const send = () =>
      t.app.yoga.fetch('http://yoga/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${member.token}`, 'x-agora-cache': 'true' },
        body: JSON.stringify({ model: `openai/${MODEL}`, messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 50 }),
      });
    expect((await send()).status).toBe(200);
    const second = await send();
    expect(second.status).toBe(200);
    expect(fakes.openai.requests).toHaveLength(1);
    expect((await usageRows()).map((row) => row.cached)).toEqual([false, true]);
  });
});
