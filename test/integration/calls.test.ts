import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { waitFor } from '../support/process.ts';
import { redisTest } from '../support/redis.ts';

let t: TestApp;
let fakes: FakeLlmServers;
const CONFIG_KEY = 'sk-config-key-aaaa1111';
const ENV_KEY = 'sk-environment-key-bbbb2222';

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp({ OPENAI_API_KEY: ENV_KEY });
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.intelligence_providers');
  await t.db.sql('delete from specs.usage_records');
});

type Result = {
  text: string;
  provider: string;
  model: string;
  inputTokens: number | null;
  outputTokens: number | null;
  tokensUsed: number | null;
  cost: string | null;
  costKnown: boolean;
  latencyMs: number;
};
const RESULT = 'text provider model inputTokens outputTokens tokensUsed cost costKnown latencyMs';

async function configure(input: Record<string, unknown>): Promise<string> {
  const response = await t.graphql<{ createIntelligenceProvider: { id: string } }>(
    'mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }',
    { variables: { input } },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.createIntelligenceProvider.id;
}

function callLlm(input: Record<string, unknown>, token?: string) {
  return t.graphql<{ callLlm: Result }>(`mutation($input: CallLlmInput!) { callLlm(input: $input) { ${RESULT} } }`, {
    variables: { input },
    token,
  });
}

const usageRows = () =>
  t.db.sql<{ provider: string; model: string; input_tokens: number | null; output_tokens: number | null; cost: string | null; status: string; error_class: string | null; streamed: boolean; attempts: number }>(
    'select * from specs.usage_records order by created_at',
  );
/**
 * A user's usage rows, read on a connection of its own: not through t.db.sql, which makes the gateway
 * forget its routing caches after every statement (a read here must not turn a warm call cold).
 */
async function usageRowsOf(userId: string): Promise<{ status: string; streamed: boolean }[]> {
  const client = new pg.Client({ connectionString: t.db.url });
  await client.connect();
  try {
    return (await client.query<{ status: string; streamed: boolean }>('select status, streamed from specs.usage_records where user_id = $1 order by created_at', [userId])).rows;
  } finally {
    await client.end();
  }
}

describe('routing', () => {
  it('falls back to the local provider, which refuses free-form prompts', async () => {
    const response = await callLlm({ prompt: 'hello' });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(/local provider/);
    expect(await usageRows()).toHaveLength(0);
  });

  it('uses the active configuration, with its key, model and base URL', async () => {
    await configure({ name: 'main', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI, model: 'gpt-4o' }, apiKey: CONFIG_KEY, isActive: true });
    const response = await callLlm({ prompt: 'Say hi', system: 'Be brief.', maxTokens: 50, temperature: 0.5 });
    expect(response.errors).toBeUndefined();
    expect(response.data?.callLlm).toMatchObject({ text: 'Hello from the fake provider.', provider: 'OPENAI', model: 'gpt-4o', inputTokens: 12, outputTokens: 7, tokensUsed: 19, costKnown: true });
    const request = fakes.openai.requests.at(-1)!;
    expect(request.headers.authorization).toBe(`Bearer ${CONFIG_KEY}`);
    expect(request.body).toMatchObject({ model: 'gpt-4o', max_completion_tokens: 50, temperature: 0.5 });
  });

  it('serves an explicitly named kind by the active configuration of that kind, else the newest of that kind', async () => {
    await configure({ name: 'claude-old', provider: 'CLAUDE', config: { baseUrl: 'http://127.0.0.1:9' }, apiKey: 'old-claude-key' });
    const newId = await configure({ name: 'claude-new', provider: 'CLAUDE', config: { baseUrl: fakes.baseUrls.CLAUDE }, apiKey: 'new-claude-key' });
    await configure({ name: 'openai-active', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: CONFIG_KEY, isActive: true });
    const response = await callLlm({ prompt: 'hi', provider: 'CLAUDE' });
    expect(response.errors).toBeUndefined();
    expect(response.data?.callLlm.provider).toBe('CLAUDE');
    const claudeRequest = fakes.claude.requests.at(-1)!;
    expect(claudeRequest.headers.authorization ?? claudeRequest.headers['x-api-key']).toMatch(/new-claude-key$/);
    expect(fakes.openai.requests).toHaveLength(0);

    // With a CLAUDE configuration active, it serves CLAUDE even though another one is newer.
    await configure({ name: 'claude-active', provider: 'CLAUDE', config: { baseUrl: fakes.baseUrls.CLAUDE }, apiKey: 'active-claude-key', isActive: true });
    const touched = await t.graphql('mutation($id: ID!) { updateIntelligenceProvider(id: $id, input: { description: "touched" }) { id } }', { variables: { id: newId } });
    expect(touched.errors).toBeUndefined();
    const claudes = await t.db.sql<{ name: string; is_active: boolean }>("select name, is_active from specs.intelligence_providers where provider = 'CLAUDE' order by updated_at desc");
    expect(claudes.map((row) => [row.name, row.is_active])).toEqual([
      ['claude-new', false],
      ['claude-active', true],
      ['claude-old', false],
    ]);
    const viaActive = await callLlm({ prompt: 'hi', provider: 'CLAUDE' });
    expect(viaActive.errors).toBeUndefined();
    expect(viaActive.data?.callLlm.provider).toBe('CLAUDE');
    const activeRequest = fakes.claude.requests.at(-1)!;
    expect(activeRequest.headers.authorization ?? activeRequest.headers['x-api-key']).toMatch(/active-claude-key$/);
    expect(fakes.claude.requests).toHaveLength(2);
    expect(fakes.openai.requests).toHaveLength(0);
  });

  it('takes the key from the environment when the configuration has none', async () => {
    await configure({ name: 'no-key', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, isActive: true });
    expect((await callLlm({ prompt: 'hi' })).errors).toBeUndefined();
    expect(fakes.openai.requests.at(-1)?.headers.authorization).toBe(`Bearer ${ENV_KEY}`);
  });

  it('asks for a key with API_KEY_REQUIRED when none is found, and calls nothing', async () => {
    await configure({ name: 'mistral', provider: 'MISTRAL', config: { baseUrl: fakes.baseUrls.MISTRAL }, isActive: true });
    const response = await callLlm({ prompt: 'hi' });
    expect(response.errors?.[0]?.extensions?.code).toBe('API_KEY_REQUIRED');
    expect(fakes.mistral.requests).toHaveLength(0);
  });

  it('serves a model id the catalogue does not list, refuses another provider\u2019s model, and accepts any model where the provider allows it', async () => {
    await configure({ name: 'main', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: CONFIG_KEY, isActive: true });
    const unlisted = await callLlm({ prompt: 'hi', model: 'gpt-imaginary' });
    expect(unlisted.errors).toBeUndefined();
    expect(unlisted.data?.callLlm).toMatchObject({ model: 'gpt-imaginary', cost: null, costKnown: false });
    expect(fakes.openai.requests.at(-1)?.body).toMatchObject({ model: 'gpt-imaginary' });
    const misplaced = await callLlm({ prompt: 'hi', model: 'claude-3-5-haiku-latest' });
    expect(misplaced.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(misplaced.errors?.[0]?.message).toMatch(/is a model of Anthropic Claude, not of OpenAI/);
    expect(fakes.openai.requests).toHaveLength(1);
    await configure({ name: 'ollama', provider: 'OLLAMA', config: { host: fakes.baseUrls.OLLAMA } });
    const custom = await callLlm({ prompt: 'hi', provider: 'OLLAMA', model: 'my-finetune:7b' });
    expect(custom.errors).toBeUndefined();
    expect(custom.data?.callLlm.model).toBe('my-finetune:7b');
  });

  it('reports a project it cannot find as NOT_FOUND', async () => {
    const response = await callLlm({ prompt: 'hi', projectId: '00000000-0000-4000-8000-000000000000' });
    expect(response.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it.each(['OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'] as const)('calls %s end to end', async (kind) => {
    await configure({ name: kind, provider: kind, config: fakes.settingsFor(kind), apiKey: `key-for-${kind}`, isActive: true });
    const response = await callLlm({ prompt: 'Say hi' });
    expect(response.errors).toBeUndefined();
    expect(response.data?.callLlm).toMatchObject({ text: 'Hello from the fake provider.', provider: kind, inputTokens: 12, outputTokens: 7 });
    expect(await usageRows()).toHaveLength(1);
  });
});

describe('routing data kept per process', () => {
  it('sends a warm call with two SQL statements, its ledger row opened then settled, and sees every change at the next call', async () => {
    const member = await t.createUser(`warm-${Date.now()}@example.com`);
    expect(await usageRowsOf(member.id)).toHaveLength(0);
    const id = await configure({ name: 'main', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: CONFIG_KEY, isActive: true });
    const authorization = async () => {
      const response = await callLlm({ prompt: 'hi' }, member.token);
      expect(response.errors).toBeUndefined();
      return fakes.openai.requests.at(-1)?.headers.authorization;
    };
    expect(await authorization()).toBe(`Bearer ${CONFIG_KEY}`);
    expect(await usageRowsOf(member.id)).toHaveLength(1);
    const before = t.db.queries.length;
    expect(await authorization()).toBe(`Bearer ${CONFIG_KEY}`);
    const statements = t.db.queries.slice(before);
    // The call ledger (hardening): the row is written PENDING before the provider is called, then settled;
    // the rollups take it later, off the call's path (performance). Nothing else: routing, keys and
    // budgets come from the caches.
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/insert into specs\.usage_records[\s\S]*'PENDING'/);
    // The PENDING row is committed without waiting for the WAL flush; the settle is an upsert (it inserts
    // the row whole should PostgreSQL have lost it) and commits durably.
    expect(statements[0]).toContain("set_config('synchronous_commit', 'off', true)");
    expect(statements[1]).toMatch(/^insert into specs\.usage_records[\s\S]*on conflict \(id\) do update/);
    expect(statements[1]).not.toContain('synchronous_commit');
    expect(statements[1]).not.toMatch(/usage_daily|usage_hourly/);
    // Those statements wrote exactly one usage row for the warm call (one per call: two so far).
    expect(await usageRowsOf(member.id)).toEqual([
      { status: 'SUCCEEDED', streamed: false },
      { status: 'SUCCEEDED', streamed: false },
    ]);

    const rotated = await t.graphql('mutation($id: ID!) { updateIntelligenceProvider(id: $id, input: { apiKey: "sk-config-key-rotated" }) { id } }', { variables: { id } });
    expect(rotated.errors).toBeUndefined();
    expect(await authorization()).toBe('Bearer sk-config-key-rotated');
    const own = await t.graphql('mutation($input: AddApiKeyInput!) { addApiKey(input: $input) { id } }', {
      variables: { input: { provider: 'OPENAI', apiKey: 'sk-member-own-key' } },
      token: member.token,
    });
    expect(own.errors).toBeUndefined();
    expect(await authorization()).toBe('Bearer sk-member-own-key');
    const deactivated = await t.graphql('mutation { deactivateIntelligenceProvider }');
    expect(deactivated.errors).toBeUndefined();
    const openAiCalls = fakes.openai.requests.length;
    const local = await callLlm({ prompt: 'hi' }, member.token);
    expect(local.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(local.errors?.[0]?.message).toMatch(/local provider/);
    expect(fakes.openai.requests).toHaveLength(openAiCalls);
    // One row per provider call, none for the refused one.
    expect(await usageRowsOf(member.id)).toHaveLength(4);
  });

  redisTest('drops it on every replica when one of them changes a configuration (through Redis)', async (redisUrl) => {
    const replica = await createTestApp({ REDIS_URL: redisUrl }, { database: t.db });
    const here = await createTestApp({ REDIS_URL: redisUrl }, { database: t.db });
    try {
      const created = await here.graphql<{ createIntelligenceProvider: { id: string } }>(
        'mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }',
        { variables: { input: { name: 'replicated', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-first', isActive: true } } },
      );
      const id = created.data!.createIntelligenceProvider.id;
      const call = async () => {
        const response = await here.graphql('mutation { callLlm(input: { prompt: "hi" }) { text } }');
        expect(response.errors).toBeUndefined();
        return fakes.openai.requests.at(-1)?.headers.authorization;
      };
      expect(created.errors).toBeUndefined();
      expect(await call()).toBe('Bearer sk-first');
      const updated = await replica.graphql('mutation($id: ID!) { updateIntelligenceProvider(id: $id, input: { apiKey: "sk-second" }) { id } }', { variables: { id } });
      expect(updated.errors).toBeUndefined();
      await waitFor(async () => (await call()) === 'Bearer sk-second', 3_000, 'the change made on the other replica');

      // A user's own key, added and then revoked on the other replica, is used and then dropped here.
      const member = await here.createUser(`replicated-${Date.now()}@example.com`);
      const callAs = async () => {
        const response = await here.graphql('mutation { callLlm(input: { prompt: "hi" }) { text } }', { token: member.token });
        expect(response.errors).toBeUndefined();
        return fakes.openai.requests.at(-1)?.headers.authorization;
      };
      expect(await callAs()).toBe('Bearer sk-second');
      const added = await replica.graphql<{ addApiKey: { id: string } }>('mutation($input: AddApiKeyInput!) { addApiKey(input: $input) { id } }', {
        variables: { input: { provider: 'OPENAI', apiKey: 'sk-member-replicated' } },
        token: member.token,
      });
      expect(added.errors).toBeUndefined();
      await waitFor(async () => (await callAs()) === 'Bearer sk-member-replicated', 3_000, 'the key added on the other replica');
      const revoked = await replica.graphql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { variables: { id: added.data!.addApiKey.id }, token: member.token });
      expect(revoked.errors).toBeUndefined();
      await waitFor(async () => (await callAs()) === 'Bearer sk-second', 3_000, 'the key revoked on the other replica');
    } finally {
      await replica.close();
      await here.close();
    }
  });
});

describe('usage records', () => {
  beforeEach(async () => {
    await configure({ name: 'main', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: CONFIG_KEY, isActive: true });
  });

  it('records one row per successful call with the exact cost at catalogue prices', async () => {
    const response = await callLlm({ prompt: 'hi' });
    expect(response.errors).toBeUndefined();
    const rows = await usageRows();
    expect(rows).toHaveLength(1);
    // gpt-4o-mini: 12 x 0.00015 / 1k + 7 x 0.0006 / 1k = 0.0000018 + 0.0000042
    expect(rows[0]).toMatchObject({ provider: 'OPENAI', model: 'gpt-4o-mini', input_tokens: 12, output_tokens: 7, status: 'SUCCEEDED', streamed: false, attempts: 1 });
    expect(rows[0]?.cost).toBe(response.data?.callLlm.cost);
    expect(rows[0]?.cost).toBe('0.00000600');
  });

  it('counts a 429 retried into a success as one row, honouring Retry-After', async () => {
    fakes.openai.failNext({ status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'Rate limit reached', type: 'rate_limit' } } });
    const response = await callLlm({ prompt: 'hi' });
    expect(response.errors).toBeUndefined();
    expect(fakes.openai.requests).toHaveLength(2);
    const rows = await usageRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
  });

  it('records a failed call once and reports RATE_LIMITED or PROVIDER_ERROR without the key', async () => {
    const limited = { status: 429, headers: { 'retry-after': '3600' }, body: { error: { message: 'Slow down', type: 'rate_limit' } } };
    fakes.openai.failNext(limited);
    const rateLimited = await callLlm({ prompt: 'hi' });
    expect(rateLimited.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');

    fakes.openai.failNext(...Array.from({ length: 3 }, () => ({ status: 500, body: { error: { message: 'boom' } } })));
    const failed = await callLlm({ prompt: 'hi' });
    expect(failed.errors?.[0]?.extensions?.code).toBe('PROVIDER_ERROR');

    fakes.openai.failNext({ status: 401, body: { error: { message: `Incorrect API key provided: ${CONFIG_KEY}` } } });
    const rejected = await callLlm({ prompt: 'hi' });
    expect(rejected.errors?.[0]?.extensions?.code).toBe('PROVIDER_ERROR');
    expect(JSON.stringify([rateLimited, failed, rejected])).not.toContain(CONFIG_KEY);
    expect(t.logs.join('\n')).not.toContain(CONFIG_KEY);

    const rows = await usageRows();
    expect(rows.map((row) => [row.status, row.error_class, row.attempts])).toEqual([
      ['FAILED', 'RATE_LIMITED', 1],
      ['FAILED', 'PROVIDER_ERROR', 3],
      ['FAILED', 'API_KEY_REJECTED', 1],
    ]);
    expect(rows.every((row) => row.cost === null && row.input_tokens === null)).toBe(true);
  });

  it('keeps tokens and cost null when the provider reports no usage', async () => {
    fakes.openai.script({ usage: null });
    const response = await callLlm({ prompt: 'hi' });
    expect(response.errors).toBeUndefined();
    expect(response.data?.callLlm).toMatchObject({ inputTokens: null, outputTokens: null, tokensUsed: null, costKnown: false });
    const rows = await usageRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ input_tokens: null, output_tokens: null, cost: null, status: 'SUCCEEDED' });
  });
});
