import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { computeCost, defaultModel } from '../../src/llm/catalogue.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { AI_ANSWER, analyze, createIncident, finished, waitForRun } from '../support/analysis.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

// Fallback chains through the whole gateway: a configuration that fails before answering hands the call
// to its fallbacks, in order, each through its own real SDK and fake; one usage row per call, for the
// configuration that answered (or the last one tried), at that configuration's prices.
let t: TestApp;
let fakes: FakeLlmServers;
let closedPort: number;

const KEY = 'sk-fallback-test-key-0000';
const USAGE = { inputTokens: 12, outputTokens: 7 };

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  // Two failures open a configuration's circuit (the other tests fail each configuration at most once).
  t = await createTestApp({ BREAKER_FAILURES: '2', BREAKER_COOLDOWN_SECONDS: '600' });
  // A port nothing listens on: connection refused.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.intelligence_providers');
  await t.db.sql('delete from specs.usage_records');
  await t.db.sql('delete from specs.budgets');
});

interface Attempt {
  provider: string;
  model: string;
  configurationId: string | null;
  ok: boolean;
  errorCode: string | null;
}
interface Result {
  text: string;
  provider: string;
  model: string;
  cost: string | null;
  attempts: Attempt[];
}

const RESULT = 'text provider model cost attempts { provider model configurationId ok errorCode latencyMs }';

async function chain(primary: Record<string, unknown>, ...fallbacks: { provider: string; config?: Record<string, unknown> }[]): Promise<[string, ...string[]]> {
  const fallbackIds: string[] = [];
  for (const [index, fallback] of fallbacks.entries()) {
    const kind = fallback.provider as keyof FakeLlmServers['baseUrls'];
    fallbackIds.push(
      await t.configureProvider({ name: `fallback-${index}`, provider: kind, config: { baseUrl: fakes.baseUrls[kind], ...fallback.config }, apiKey: KEY }),
    );
  }
  const id = await t.configureProvider({ name: 'primary', apiKey: KEY, isActive: true, ...primary, fallbackIds });
  return [id, ...fallbackIds];
}

const primaryOpenAi = (config: Record<string, unknown> = {}) => ({ provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI, ...config } });

async function callLlm(input: Record<string, unknown> = {}) {
  return t.graphql<{ callLlm: Result }>(`mutation($input: CallLlmInput!) { callLlm(input: $input) { ${RESULT} } }`, {
    variables: { input: { prompt: 'Say hello', maxTokens: 50, ...input } },
  });
}

async function llmStream(input: Record<string, unknown> = {}) {
  const response = await t.app.yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${t.adminToken}` },
    body: JSON.stringify({
      query: `subscription($input: CallLlmInput!) { llmStream(input: $input) { delta done result { ${RESULT} } } }`,
      variables: { input: { prompt: 'Say hello', maxTokens: 50, ...input } },
    }),
  });
  const events = (await response.text())
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: ')
    .map((line) => JSON.parse(line.slice(6)) as { data?: { llmStream: { delta: string | null; done: boolean; result: Result | null } }; errors?: { extensions?: { code?: string } }[] });
  return {
    deltas: events.flatMap((event) => (event.data?.llmStream.delta ? [event.data.llmStream.delta] : [])),
    result: events.find((event) => event.data?.llmStream.done)?.data?.llmStream.result ?? null,
    errors: events.flatMap((event) => event.errors ?? []),
  };
}

const usageRows = () =>
  t.db.sql<{ provider: string; model: string; cost: string | null; status: string; error_class: string | null; attempts: number; streamed: boolean }>(
    'select provider, model, cost, status, error_class, attempts, streamed from specs.usage_records order by created_at',
  );

const claudeCost = () => computeCost('CLAUDE', defaultModel('CLAUDE'), USAGE)!;

describe('fallback chains', () => {
  it.each([
    ['a 500', () => fakes.openai.failNext({ status: 500 }, { status: 500 }, { status: 500 }), 'PROVIDER_ERROR'],
    ['a 429 once its retries are spent', () => fakes.openai.failNext({ status: 429 }, { status: 429 }, { status: 429 }), 'RATE_LIMITED'],
  ])('goes on with the next configuration after %s, with one usage row at its prices', async (_name, fail, code) => {
    const [primaryId, claudeId] = await chain(primaryOpenAi(), { provider: 'CLAUDE' });
    fail();
    const { data, errors } = await callLlm();
    expect(errors).toBeUndefined();
    const result = data!.callLlm;
    expect(result.provider).toBe('CLAUDE');
    expect(result.text).toBe('Hello from the fake provider.');
    expect(result.cost).toBe(claudeCost());
    expect(result.attempts.map(({ provider, configurationId, ok, errorCode }) => ({ provider, configurationId, ok, errorCode }))).toEqual([
      { provider: 'OPENAI', configurationId: primaryId, ok: false, errorCode: code },
      { provider: 'CLAUDE', configurationId: claudeId, ok: true, errorCode: null },
    ]);
    expect(fakes.openai.requests).toHaveLength(3);
    expect(fakes.claude.requests).toHaveLength(1);
    const rows = await usageRows();
    expect(rows).toEqual([{ provider: 'CLAUDE', model: defaultModel('CLAUDE'), cost: claudeCost(), status: 'SUCCEEDED', error_class: null, attempts: 4, streamed: false }]);
  });

  it('goes on when the first configuration hangs past its timeoutMs', async () => {
    await chain(primaryOpenAi({ timeoutMs: 200 }), { provider: 'CLAUDE' });
    fakes.openai.script({ delayMs: 5_000 });
    const { data, errors } = await callLlm();
    expect(errors).toBeUndefined();
    expect(data!.callLlm.provider).toBe('CLAUDE');
    expect(data!.callLlm.attempts.map((attempt) => attempt.errorCode)).toEqual(['TIMEOUT', null]);
    expect(await usageRows()).toHaveLength(1);
  });

  it('goes on when the first configuration refuses connections', async () => {
    await chain({ provider: 'OPENAI', config: { baseUrl: `http://127.0.0.1:${closedPort}/v1` } }, { provider: 'CLAUDE' });
    const { data, errors } = await callLlm();
    expect(errors).toBeUndefined();
    expect(data!.callLlm.provider).toBe('CLAUDE');
    expect(data!.callLlm.attempts[0]).toMatchObject({ provider: 'OPENAI', ok: false });
    expect((await usageRows()).map((row) => row.provider)).toEqual(['CLAUDE']);
  });

  it('does not fall back on a rejected key (401): the caller hears it, the fallback is never asked', async () => {
    await chain(primaryOpenAi(), { provider: 'CLAUDE' });
    fakes.openai.failNext({ status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } } });
    const { errors } = await callLlm();
    expect(errors?.[0]?.extensions?.code).toBeDefined();
    expect(fakes.openai.requests).toHaveLength(1);
    expect(fakes.claude.requests).toHaveLength(0);
    expect(await usageRows()).toEqual([expect.objectContaining({ provider: 'OPENAI', status: 'FAILED', cost: null })]);
    expect(JSON.stringify(errors)).not.toContain(KEY);
  });

  it('walks a chain of three where two fail, and records every try in order', async () => {
    const [openaiId, claudeId, geminiId] = await chain(primaryOpenAi(), { provider: 'CLAUDE' }, { provider: 'GEMINI' });
    fakes.openai.failNext({ status: 503 }, { status: 503 }, { status: 503 });
    fakes.claude.failNext({ status: 529 }, { status: 529 }, { status: 529 });
    const { data, errors } = await callLlm();
    expect(errors).toBeUndefined();
    const result = data!.callLlm;
    expect(result.provider).toBe('GEMINI');
    expect(result.attempts.map((attempt) => [attempt.configurationId, attempt.ok])).toEqual([
      [openaiId, false],
      [claudeId, false],
      [geminiId, true],
    ]);
    const geminiCost = computeCost('GEMINI', defaultModel('GEMINI'), USAGE);
    expect(result.cost).toBe(geminiCost);
    expect(await usageRows()).toEqual([expect.objectContaining({ provider: 'GEMINI', status: 'SUCCEEDED', cost: geminiCost, attempts: 7 })]);
  });

  it('records the last configuration tried when every one fails', async () => {
    await chain(primaryOpenAi(), { provider: 'CLAUDE' });
    fakes.openai.failNext({ status: 500 }, { status: 500 }, { status: 500 });
    fakes.claude.failNext({ status: 500 }, { status: 500 }, { status: 500 });
    const { errors } = await callLlm();
    expect(errors?.[0]?.extensions?.code).toBe('PROVIDER_ERROR');
    expect(await usageRows()).toEqual([expect.objectContaining({ provider: 'CLAUDE', status: 'FAILED', attempts: 6, cost: null })]);
  });

  it('releases the first configuration\u2019s budget reservation and settles the fallback\u2019s exact cost', async () => {
    await chain(primaryOpenAi(), { provider: 'CLAUDE' });
    const budget = await t.graphql<{ setBudget: { id: string } }>(
      'mutation { setBudget(input: { scope: GLOBAL, period: DAY, limit: "10" }) { id } }',
    );
    expect(budget.errors).toBeUndefined();
    fakes.openai.failNext({ status: 500 }, { status: 500 }, { status: 500 });
    const { errors } = await callLlm();
    expect(errors).toBeUndefined();
    const [row] = await t.db.sql<{ spent: string; reserved: string }>('select spent::text, reserved::text from specs.budgets');
    expect(Number(row!.reserved)).toBe(0);
    expect(row!.spent).toBe(Number(claudeCost()).toFixed(8));
    expect(await t.db.sql('select * from specs.budget_reservations')).toHaveLength(0);
  });
});

describe('the call deadline', () => {
  it('bounds a call, retries and fallbacks included: past it the call ends with TIMEOUT, recorded once', async () => {
    await chain(primaryOpenAi({ timeoutMs: 60_000 }), { provider: 'CLAUDE' });
    // A replica whose calls may take 1 s in all; the provider answers after 5 s (its own timeout is 60 s).
    const strict = await createTestApp({ CALL_DEADLINE_SECONDS: '1' }, { database: t.db });
    try {
      fakes.openai.script({ delayMs: 5_000 });
      const response = await strict.graphql<{ callLlm: Result }>('mutation { callLlm(input: { prompt: "Say hello", maxTokens: 50 }) { text } }', {
        token: t.adminToken,
      });
      expect(response.errors?.[0]?.extensions?.code).toBeDefined();
      expect(response.errors?.[0]?.message).toContain('deadline');
      expect(fakes.openai.requests).toHaveLength(1);
      expect(fakes.claude.requests).toHaveLength(0);
      expect(await usageRows()).toEqual([expect.objectContaining({ provider: 'OPENAI', status: 'FAILED', error_class: 'TIMEOUT' })]);
    } finally {
      await strict.close();
    }
  });
});

describe('fallback chains, streamed', () => {
  it('goes on before the first delta, and streams the fallback\u2019s text', async () => {
    await chain(primaryOpenAi(), { provider: 'CLAUDE' });
    fakes.openai.failNext({ status: 500 }, { status: 500 }, { status: 500 });
    const { deltas, result, errors } = await llmStream();
    expect(errors).toEqual([]);
    expect(deltas.join('')).toBe('Hello from the fake provider.');
    expect(result?.provider).toBe('CLAUDE');
    expect(result?.attempts.map((attempt) => [attempt.provider, attempt.ok])).toEqual([
      ['OPENAI', false],
      ['CLAUDE', true],
    ]);
    expect(await usageRows()).toEqual([expect.objectContaining({ provider: 'CLAUDE', status: 'SUCCEEDED', streamed: true, cost: claudeCost() })]);
  });

  it('goes on when the first configuration sends nothing within its timeoutMs', async () => {
    await chain(primaryOpenAi({ timeoutMs: 200 }), { provider: 'CLAUDE' });
    fakes.openai.script({ delayMs: 5_000 });
    const { result, errors } = await llmStream();
    expect(errors).toEqual([]);
    expect(result?.provider).toBe('CLAUDE');
    expect(result?.attempts[0]?.errorCode).toBe('TIMEOUT');
  });

  it('never switches after the first delta: the stream ends with an error, the fallback is never asked', async () => {
    await chain(primaryOpenAi(), { provider: 'CLAUDE' });
    fakes.openai.script({ midStream: { afterDeltas: 2, mode: 'close' } });
    const { deltas, result, errors } = await llmStream();
    expect(deltas.length).toBe(2);
    expect(result).toBeNull();
    expect(errors[0]?.extensions?.code).toBe('PROVIDER_ERROR');
    expect(fakes.claude.requests).toHaveLength(0);
    expect(await usageRows()).toEqual([expect.objectContaining({ provider: 'OPENAI', status: 'FAILED', streamed: true })]);
  });
});

describe('the circuit breaker in the call path', () => {
  const health = (id: string) =>
    t.graphql<{ intelligenceProviders: { id: string; health: { state: string; failures: number; lastError: string | null } }[] }>(
      '{ intelligenceProviders { id health { state failures lastError } } }',
    ).then((response) => response.data!.intelligenceProviders.find((row) => row.id === id)!.health);

  it('opens after repeated failures, then skips the configuration straight to its fallback; a trial closes it; reset closes it at once', async () => {
    const [primaryId, claudeId] = await chain(primaryOpenAi(), { provider: 'CLAUDE' });
    const failing = Array.from({ length: 6 }, () => ({ status: 500 }));
    fakes.openai.failNext(...failing);
    await callLlm();
    expect(await health(primaryId)).toMatchObject({ state: 'CLOSED', failures: 1 });
    await callLlm();
    expect(await health(primaryId)).toMatchObject({ state: 'OPEN', failures: 2 });
    expect((await health(primaryId)).lastError).not.toContain(KEY);
    expect(fakes.openai.requests).toHaveLength(6);

    // Open: the next call costs the dead provider nothing, not even a request.
    const skipped = await callLlm();
    expect(skipped.data?.callLlm.provider).toBe('CLAUDE');
    expect(skipped.data?.callLlm.attempts.map((attempt) => [attempt.configurationId, attempt.errorCode])).toEqual([
      [primaryId, 'CIRCUIT_OPEN'],
      [claudeId, null],
    ]);
    expect(fakes.openai.requests).toHaveLength(6);

    // The cool-down is over (moved back in the database): one trial call goes to the primary and closes it.
    await t.db.sql("update specs.provider_health set opened_at = now() - interval '1 hour'");
    const trial = await callLlm();
    expect(trial.data?.callLlm.provider).toBe('OPENAI');
    expect(fakes.openai.requests).toHaveLength(7);
    expect(await health(primaryId)).toMatchObject({ state: 'CLOSED', failures: 0 });

    // Open again, then an admin resets it: served by the primary at once.
    fakes.openai.failNext(...failing);
    await callLlm();
    await callLlm();
    expect((await health(primaryId)).state).toBe('OPEN');
    const reset = await t.graphql<{ resetIntelligenceProviderHealth: { health: { state: string } } }>(
      'mutation($id: ID!) { resetIntelligenceProviderHealth(id: $id) { health { state } } }',
      { variables: { id: primaryId } },
    );
    expect(reset.data?.resetIntelligenceProviderHealth.health.state).toBe('CLOSED');
    expect((await callLlm()).data?.callLlm.provider).toBe('OPENAI');
  });

  it('fails fast with PROVIDER_ERROR, one usage row and no request, when the only configuration is open', async () => {
    const [primaryId] = await chain(primaryOpenAi());
    await t.db.sql("insert into specs.provider_health (configuration_id, state, failures, opened_at, updated_at) values ($1, 'OPEN', 2, now(), now())", [primaryId]);
    const { errors } = await callLlm();
    expect(errors?.[0]?.extensions?.code).toBe('PROVIDER_ERROR');
    expect(errors?.[0]?.message).toContain('cool-down');
    expect(fakes.openai.requests).toHaveLength(0);
    expect(await usageRows()).toEqual([expect.objectContaining({ provider: 'OPENAI', status: 'FAILED', error_class: 'PROVIDER_ERROR', cost: null })]);
  });

  it('is shared by two replicas on one database', async () => {
    const [primaryId] = await chain(primaryOpenAi(), { provider: 'CLAUDE' });
    const replica = await createTestApp({ BREAKER_FAILURES: '2', BREAKER_COOLDOWN_SECONDS: '600' }, { database: t.db });
    try {
      fakes.openai.failNext(...Array.from({ length: 6 }, () => ({ status: 500 })));
      await callLlm();
      await callLlm();
      const seen = await replica.graphql<{ intelligenceProviders: { id: string; health: { state: string } }[] }>('{ intelligenceProviders { id health { state } } }', {
        token: t.adminToken,
      });
      expect(seen.data!.intelligenceProviders.find((row) => row.id === primaryId)!.health.state).toBe('OPEN');
      // The other replica skips it too (its routing snapshot is fresh: it has not read one yet).
      const skipped = await replica.graphql<{ callLlm: Result }>(`mutation { callLlm(input: { prompt: "Say hello", maxTokens: 50 }) { ${RESULT} } }`, {
        token: t.adminToken,
      });
      expect(skipped.data?.callLlm.attempts[0]?.errorCode).toBe('CIRCUIT_OPEN');
      expect(fakes.openai.requests).toHaveLength(6);
    } finally {
      await replica.close();
    }
  });
});

describe('load balancing', () => {
  it('shares a group\u2019s calls by weight, and a failing member hands the call to another', async () => {
    // Two OpenAI configurations in one group, at two different OpenAI-compatible servers.
    await t.configureProvider({ name: 'east', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI, group: 'openai', weight: 1 }, apiKey: KEY, isActive: true });
    await t.configureProvider({ name: 'west', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.GROK, group: 'openai', weight: 1 }, apiKey: KEY });
    for (let i = 0; i < 40; i += 1) expect((await callLlm()).errors).toBeUndefined();
    // Even shares: each side gets some (all 40 on one side: 2^-39).
    expect(fakes.openai.requests.length).toBeGreaterThan(0);
    expect(fakes.grok.requests.length).toBeGreaterThan(0);
    expect(fakes.openai.requests.length + fakes.grok.requests.length).toBe(40);

    fakes.reset();
    await t.db.sql('delete from specs.usage_records');
    fakes.openai.failNext(...Array.from({ length: 30 }, () => ({ status: 500 })));
    for (let i = 0; i < 10; i += 1) {
      const { data, errors } = await callLlm();
      expect(errors).toBeUndefined();
      expect(data!.callLlm.attempts.at(-1)).toMatchObject({ ok: true });
    }
    expect(fakes.grok.requests).toHaveLength(10);
    expect(await usageRows()).toHaveLength(10);
  });
});

describe('fallback chains in analyses', () => {
  it('an analysis goes through the chain before it falls back to the local rules', async () => {
    await chain(primaryOpenAi(), { provider: 'CLAUDE' });
    fakes.openai.failNext({ status: 500 }, { status: 500 }, { status: 500 });
    fakes.claude.script({ text: AI_ANSWER });
    const incident = await createIncident(t, { title: 'api pods OOMKilled', description: 'The api restarts with out of memory errors.', severity: 'HIGH' });
    const done = await waitForRun(t, (await analyze(t, incident)).id, finished);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.provider).toBe('CLAUDE');
    const saved = await t.db.sql<{ provider: string; is_fallback: boolean }>('select provider, is_fallback from specs.recommendations where incident_id = $1', [incident]);
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.every((row) => row.provider === 'CLAUDE' && !row.is_fallback)).toBe(true);
    expect(await usageRows()).toEqual([expect.objectContaining({ provider: 'CLAUDE', status: 'SUCCEEDED', streamed: true })]);
  });
});

describe('fallbackIds', () => {
  const update = (id: string, fallbackIds: string[]) =>
    t.graphql<{ updateIntelligenceProvider: { fallbacks: { id: string }[] } }>(
      'mutation($id: ID!, $ids: [ID!]) { updateIntelligenceProvider(id: $id, input: { fallbackIds: $ids }) { fallbacks { id } } }',
      { variables: { id, ids: fallbackIds } },
    );

  it('keeps the order given, and refuses cycles, itself, repeats and unknown ids with BAD_USER_INPUT', async () => {
    const a = await t.configureProvider({ name: 'a', provider: 'OPENAI' });
    const b = await t.configureProvider({ name: 'b', provider: 'CLAUDE' });
    const c = await t.configureProvider({ name: 'c', provider: 'GEMINI' });
    expect((await update(a, [c, b])).data?.updateIntelligenceProvider.fallbacks.map((row) => row.id)).toEqual([c, b]);
    await update(b, [c]);
    const cycle = await update(c, [a]);
    expect(cycle.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(cycle.errors?.[0]?.message).toContain('cycle');
    const refusals: [string, string[]][] = [
      [a, [c, c]],
      [c, [c]],
      [a, ['00000000-0000-4000-8000-000000000000']],
      [a, ['not-an-id']],
    ];
    for (const [target, ids] of refusals) {
      const refused = await update(target, ids);
      expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    // Nothing was half-written: c still has no fallbacks, a still [c, b].
    const [row] = await t.db.sql<{ fallback_ids: string[] }>('select fallback_ids from specs.intelligence_providers where id = $1', [a]);
    expect(row!.fallback_ids).toEqual([c, b]);
    expect((await update(a, [])).data?.updateIntelligenceProvider.fallbacks).toEqual([]);
  });

  it('is for admins: members neither set nor see fallbacks, nor any configuration URL', async () => {
    const member = await t.createUser('fallback-member@example.com');
    const a = await t.configureProvider({ name: 'a', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI, model: 'gpt-4o-mini' }, apiKey: KEY });
    const b = await t.configureProvider({ name: 'b', provider: 'CLAUDE', config: { baseUrl: fakes.baseUrls.CLAUDE } });
    await update(a, [b]);
    const seen = await t.graphql<{ intelligenceProviders: { config: unknown; fallbacks: unknown[]; apiKeyHint: string | null }[] }>(
      '{ intelligenceProviders { name config fallbacks { id } apiKeyHint } }',
      { token: member.token },
    );
    expect(seen.errors).toBeUndefined();
    expect(JSON.stringify(seen.data)).not.toContain('127.0.0.1');
    expect(seen.data!.intelligenceProviders.find((row) => (row as unknown as { name: string }).name === 'a')).toMatchObject({
      config: { model: 'gpt-4o-mini' },
      fallbacks: [],
      apiKeyHint: null,
    });
    const refused = await t.graphql('mutation($id: ID!) { updateIntelligenceProvider(id: $id, input: { fallbackIds: [] }) { id } }', {
      variables: { id: a },
      token: member.token,
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('asks for the key again when a configuration with a stored key changes its address', async () => {
    const a = await t.configureProvider({ name: 'a', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: KEY });
    const moved = await t.graphql('mutation($id: ID!) { updateIntelligenceProvider(id: $id, input: { config: { baseUrl: "http://127.0.0.1:9/v1" } }) { id } }', {
      variables: { id: a },
    });
    expect(moved.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(moved.errors?.[0]?.message).toContain('apiKey');
    const withKey = await t.graphql<{ updateIntelligenceProvider: { hasApiKey: boolean } }>(
      'mutation($id: ID!, $key: String) { updateIntelligenceProvider(id: $id, input: { config: { baseUrl: "http://127.0.0.1:9/v1" }, apiKey: $key }) { hasApiKey } }',
      { variables: { id: a, key: KEY } },
    );
    expect(withKey.data?.updateIntelligenceProvider.hasApiKey).toBe(true);
  });

  it('lists configurations with their health and fallbacks in a constant number of queries', async () => {
    const count = async () => {
      const before = t.db.queries.length;
      const listed = await t.graphql<{ intelligenceProviders: unknown[] }>('{ intelligenceProviders { id health { state failures } fallbacks { id health { state } } } }');
      expect(listed.errors).toBeUndefined();
      return { queries: t.db.queries.length - before, rows: listed.data!.intelligenceProviders.length };
    };
    const first = await t.configureProvider({ name: 'lb-0', provider: 'OPENAI' });
    await t.configureProvider({ name: 'lb-1', provider: 'CLAUDE', fallbackIds: [first] });
    const few = await count();
    for (let i = 2; i < 8; i += 1) await t.configureProvider({ name: `lb-${i}`, provider: 'GEMINI', fallbackIds: [first] });
    const many = await count();
    expect([few.rows, many.rows]).toEqual([2, 8]);
    expect(many.queries).toBe(few.queries);
  });

  it('createIntelligenceProvider(isActive: true) answers isActive: true', async () => {
    const created = await t.graphql<{ createIntelligenceProvider: { isActive: boolean } }>(
      'mutation { createIntelligenceProvider(input: { name: "active-now", provider: OPENAI, isActive: true }) { isActive } }',
    );
    expect(created.data?.createIntelligenceProvider.isActive).toBe(true);
  });
});
