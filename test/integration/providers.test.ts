import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

let t: TestApp;
let fakes: FakeLlmServers;
const SECRET = 'sk-test-provider-secret-9f8e7d6c5b4a';

beforeAll(async () => {
  [t, fakes] = await Promise.all([createTestApp(), startFakeLlmServers()]);
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.intelligence_providers');
});

const FIELDS = 'id name provider model config hasApiKey apiKeyHint isActive description';
type Provider = { id: string; name: string; provider: string; model: string; config: Record<string, unknown>; hasApiKey: boolean; apiKeyHint: string | null; isActive: boolean };

async function create(input: Record<string, unknown>, token?: string) {
  return t.graphql<{ createIntelligenceProvider: Provider }>(
    `mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { ${FIELDS} } }`,
    { variables: { input }, token },
  );
}

async function createOk(input: Record<string, unknown>): Promise<Provider> {
  const response = await create(input);
  expect(response.errors).toBeUndefined();
  return response.data!.createIntelligenceProvider;
}

describe('intelligence provider configurations', () => {
  it('stores the API key encrypted and shows only that one exists and its last characters', async () => {
    const created = await createOk({
      name: 'OpenAI main',
      provider: 'OPENAI',
      config: { model: 'gpt-4o', temperature: 0.2, baseUrl: fakes.baseUrls.OPENAI },
      apiKey: SECRET,
      description: 'The default',
    });
    expect(created).toMatchObject({ provider: 'OPENAI', model: 'gpt-4o', hasApiKey: true, isActive: false });
    expect(created.apiKeyHint).toBe(`…${SECRET.slice(-4)}`);
    expect(JSON.stringify(created)).not.toContain(SECRET);

    const rows = await t.db.sql('select * from specs.intelligence_providers');
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    expect(rows[0]?.api_key_ciphertext).toBeTruthy();

    const listed = await t.graphql<{ intelligenceProviders: Provider[] }>(`{ intelligenceProviders { ${FIELDS} } }`);
    expect(JSON.stringify(listed)).not.toContain(SECRET);
    expect(t.logs.join('\n')).not.toContain(SECRET);
  });

  it('uses the driver default model when config names none', async () => {
    const created = await createOk({ name: 'Claude', provider: 'CLAUDE', config: {} });
    expect(created.model).toBe('claude-sonnet-4-20250514');
  });

  it('refuses a taken name with CONFLICT', async () => {
    await createOk({ name: 'Twin', provider: 'OPENAI', config: {} });
    const again = await create({ name: 'Twin', provider: 'GEMINI', config: {} });
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('validates config per driver and writes nothing on bad input', async () => {
    const unknownKey = await create({ name: 'Bad', provider: 'OPENAI', config: { modle: 'gpt-4o' } });
    expect(unknownKey.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(unknownKey.errors?.[0]?.message).toContain('modle');

    const badUrl = await create({ name: 'Bad', provider: 'OPENAI', config: { baseUrl: 'file:///etc/passwd' } });
    expect(badUrl.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badTemperature = await create({ name: 'Bad', provider: 'MISTRAL', config: { temperature: 7 } });
    expect(badTemperature.errors?.[0]?.message).toContain('config.temperature');
    const hostOnlyForOllama = await create({ name: 'Bad', provider: 'OPENAI', config: { host: 'http://x' } });
    expect(hostOnlyForOllama.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await createOk({ name: 'Ollama', provider: 'OLLAMA', config: { host: 'http://127.0.0.1:11434' } });

    const rows = await t.db.sql("select name from specs.intelligence_providers where name = 'Bad'");
    expect(rows).toHaveLength(0);
  });

  it('lets only admins manage configurations', async () => {
    const member = await t.createUser(`member-${Date.now()}@example.com`);
    const refused = await create({ name: 'Nope', provider: 'OPENAI', config: {} }, member.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const deactivate = await t.graphql('mutation { deactivateIntelligenceProvider }', { token: member.token });
    expect(deactivate.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('updates fields, replaces and removes the key, filters and deletes', async () => {
    const created = await createOk({ name: 'Mistral', provider: 'MISTRAL', config: {}, apiKey: 'mistral-key-0001' });
    const renamed = await t.graphql<{ updateIntelligenceProvider: Provider }>(
      `mutation($id: ID!) { updateIntelligenceProvider(id: $id, input: { name: "Mistral EU", apiKey: "mistral-key-0002" }) { ${FIELDS} } }`,
      { variables: { id: created.id } },
    );
    expect(renamed.data?.updateIntelligenceProvider).toMatchObject({ name: 'Mistral EU', apiKeyHint: '…0002', hasApiKey: true });
    const sameName = await t.graphql(`mutation($id: ID!) { updateIntelligenceProvider(id: $id, input: { name: "Mistral EU" }) { id } }`, {
      variables: { id: created.id },
    });
    expect(sameName.errors).toBeUndefined();
    const removed = await t.graphql<{ updateIntelligenceProvider: Provider }>(
      `mutation($id: ID!) { updateIntelligenceProvider(id: $id, input: { apiKey: null }) { ${FIELDS} } }`,
      { variables: { id: created.id } },
    );
    expect(removed.data?.updateIntelligenceProvider).toMatchObject({ hasApiKey: false, apiKeyHint: null });

    await createOk({ name: 'Gemini', provider: 'GEMINI', config: {} });
    const filtered = await t.graphql<{ intelligenceProviders: Provider[] }>('{ intelligenceProviders(provider: GEMINI) { name } }');
    expect(filtered.data?.intelligenceProviders.map((p) => p.name)).toEqual(['Gemini']);
    const searched = await t.graphql<{ intelligenceProviders: Provider[] }>('{ intelligenceProviders(search: "eu") { name } }');
    expect(searched.data?.intelligenceProviders.map((p) => p.name)).toEqual(['Mistral EU']);

    const deleted = await t.graphql(`mutation($id: ID!) { deleteIntelligenceProvider(id: $id) }`, { variables: { id: created.id } });
    expect(deleted.data).toEqual({ deleteIntelligenceProvider: true });
    const missing = await t.graphql(`mutation($id: ID!) { deleteIntelligenceProvider(id: $id) }`, { variables: { id: created.id } });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('providers', () => {
  it('lists the eight drivers with models, exact prices and availability for the viewer', async () => {
    const response = await t.graphql<{
      providers: { id: string; defaultModel: string; requiresApiKey: boolean; available: boolean; models: { id: string; inputCostPer1kTokens: string }[] }[];
    }>('{ providers { id name defaultModel requiresApiKey available models { id inputCostPer1kTokens outputCostPer1kTokens contextWindow } } }');
    const byId = Object.fromEntries(response.data!.providers.map((driver) => [driver.id, driver]));
    expect(Object.keys(byId)).toEqual(['LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL']);
    expect(byId.LOCAL).toMatchObject({ requiresApiKey: false, available: true });
    expect(byId.OLLAMA).toMatchObject({ requiresApiKey: false, defaultModel: 'llama3.2' });
    expect(byId.OPENAI).toMatchObject({ requiresApiKey: true, available: false, defaultModel: 'gpt-4o-mini' });
    expect(byId.OPENAI?.models.find((model) => model.id === 'gpt-4o-mini')?.inputCostPer1kTokens).toMatch(/^\d+\.\d+$/);

    await createOk({ name: 'Keyed', provider: 'OPENAI', config: {}, apiKey: SECRET });
    const after = await t.graphql<{ providers: { id: string; available: boolean }[] }>('{ providers { id available } }');
    expect(after.data?.providers.find((driver) => driver.id === 'OPENAI')?.available).toBe(true);
  });
});

describe('activation', () => {
  it('activates one configuration at a time and deactivates to the local provider', async () => {
    const a = await createOk({ name: 'A', provider: 'OPENAI', config: {}, isActive: true });
    const b = await createOk({ name: 'B', provider: 'CLAUDE', config: {} });
    let active = await t.graphql<{ activeIntelligenceProvider: Provider | null }>('{ activeIntelligenceProvider { name } }');
    expect(active.data?.activeIntelligenceProvider?.name).toBe('A');

    await t.graphql(`mutation($id: ID!) { activateIntelligenceProvider(id: $id) { isActive } }`, { variables: { id: b.id } });
    active = await t.graphql('{ activeIntelligenceProvider { name } }');
    expect(active.data?.activeIntelligenceProvider?.name).toBe('B');
    const rows = await t.db.sql<{ name: string }>('select name from specs.intelligence_providers where is_active');
    expect(rows.map((row) => row.name)).toEqual(['B']);
    void a;

    expect((await t.graphql('mutation { deactivateIntelligenceProvider }')).data).toEqual({ deactivateIntelligenceProvider: true });
    expect((await t.graphql('mutation { deactivateIntelligenceProvider }')).data).toEqual({ deactivateIntelligenceProvider: false });
    active = await t.graphql('{ activeIntelligenceProvider { name } }');
    expect(active.data?.activeIntelligenceProvider).toBeNull();
  });

  it('keeps exactly one active under 50 rounds of concurrent activations', async () => {
    const ids: string[] = [];
    for (const name of ['C1', 'C2', 'C3', 'C4', 'C5']) ids.push((await createOk({ name, provider: 'OPENAI', config: {} })).id);
    for (let round = 0; round < 50; round += 1) {
      const results = await Promise.all(
        ids.map((id) => t.graphql(`mutation($id: ID!) { activateIntelligenceProvider(id: $id) { id } }`, { variables: { id } })),
      );
      expect(results.every((result) => result.errors === undefined)).toBe(true);
      const active = await t.db.sql('select id from specs.intelligence_providers where is_active');
      expect(active).toHaveLength(1);
    }
  });

  it('is guarded by the database: a second active row is refused even bypassing the service', async () => {
    await createOk({ name: 'D1', provider: 'OPENAI', config: {}, isActive: true });
    await createOk({ name: 'D2', provider: 'OPENAI', config: {} });
    await expect(t.db.sql("update specs.intelligence_providers set is_active = true where name = 'D2'")).rejects.toThrow(/unique/);
  });
});

describe('testIntelligenceProvider', () => {
  it('reports ok with latency and model through the real driver', async () => {
    const created = await createOk({ name: 'Fake OpenAI', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: SECRET });
    const result = await t.graphql<{ testIntelligenceProvider: { ok: boolean; latencyMs: number; model: string; error: string | null } }>(
      'mutation($id: ID!) { testIntelligenceProvider(id: $id) { ok latencyMs model error } }',
      { variables: { id: created.id } },
    );
    expect(result.data?.testIntelligenceProvider).toMatchObject({ ok: true, model: 'gpt-4o-mini', error: null });
    expect(fakes.openai.requests.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('reports a failing provider as ok: false with an error that holds no secret', async () => {
    const created = await createOk({ name: 'Broken', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: SECRET });
    fakes.openai.failNext({ status: 401, body: { error: { message: `Incorrect API key provided: ${SECRET}`, type: 'invalid_request_error' } } });
    const result = await t.graphql<{ testIntelligenceProvider: { ok: boolean; error: string | null } }>(
      'mutation($id: ID!) { testIntelligenceProvider(id: $id) { ok error } }',
      { variables: { id: created.id } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.testIntelligenceProvider.ok).toBe(false);
    expect(result.data?.testIntelligenceProvider.error).toBeTruthy();
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(t.logs.join('\n')).not.toContain(SECRET);
  });
});
