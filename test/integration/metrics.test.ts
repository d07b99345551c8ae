import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCallObserver } from '../../src/observability/call-observer.ts';
import { circuitStateChanged } from '../../src/observability/circuit-metrics.ts';
import { watchRedis } from '../../src/observability/runtime-metrics.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { waitFor } from '../support/process.ts';
import { redisTest } from '../support/redis.ts';
import { wsClient } from '../support/ws-client.ts';

// GET /metrics through the whole gateway: scraped before and after real calls (the openai SDK against its
// fake), every counter and histogram must have moved by exactly what the calls did, and no label may hold
// anything of the user's: not their email, id or token, not the prompt, not the answer, not a key.
let t: TestApp;
let fakes: FakeLlmServers;
let member: { id: string; token: string };

const METRICS_TOKEN = 'metrics-scrape-token-5b1f0c2e9a';
const API_KEY = 'sk-metrics-config-key-77aa';
const MEMBER_EMAIL = 'metrics-member-3c9d@example.com';
const PROMPT = 'Summarise the confidential launch plan metrics-prompt-91c2';
const ANSWER = 'Hello from the fake provider.';

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp({ METRICS_TOKEN });
  member = await t.createUser(MEMBER_EMAIL);
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.intelligence_providers');
  await t.db.sql('delete from specs.budgets');
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus's text format, the sample lines only. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[name!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

interface Scrape {
  text: string;
  samples: Sample[];
  /** The sum of the samples named `name` whose labels include `labels`. */
  value(name: string, labels?: Record<string, string>): number;
}

async function scrape(): Promise<Scrape> {
  const response = await t.app.yoga.fetch('http://yoga/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  const text = await response.text();
  const samples = parseMetrics(text);
  return {
    text,
    samples,
    value: (name, labels = {}) =>
      samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)).reduce((sum, sample) => sum + sample.value, 0),
  };
}

const delta = (before: Scrape, after: Scrape, name: string, labels?: Record<string, string>) => after.value(name, labels) - before.value(name, labels);

const CALL = 'mutation MetricsCall($input: CallLlmInput!) { callLlm(input: $input) { text cost inputTokens outputTokens } }';

function callLlm(input: Record<string, unknown>, token = member.token) {
  return t.graphql<{ callLlm: { text: string; cost: string | null; inputTokens: number | null; outputTokens: number | null } }>(CALL, {
    variables: { input: { prompt: PROMPT, maxTokens: 50, ...input } },
    token,
  });
}

/** An llmStream subscription (`query`, with the shared prompt) over SSE at /graphql, as the member. */
async function streamOverSse(query: string, signal?: AbortSignal): Promise<Response> {
  return t.app.yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${member.token}` },
    body: JSON.stringify({ query, variables: { input: { prompt: PROMPT } } }),
    signal,
  });
}

async function configureOpenAi(model = 'gpt-4o-mini'): Promise<string> {
  return t.configureProvider({ name: `openai-${randomUUID().slice(0, 8)}`, provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI, model }, apiKey: API_KEY, isActive: true });
}

describe('GET /metrics', () => {
  it('answers only with the METRICS_TOKEN bearer, never echoing it', async () => {
    const without = await t.app.yoga.fetch('http://yoga/metrics');
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await t.app.yoga.fetch('http://yoga/metrics', { headers: { authorization: 'Bearer metrics-scrape-token-5b1f0c2e9b' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(METRICS_TOKEN);
    const basic = await t.app.yoga.fetch('http://yoga/metrics', { headers: { authorization: `Basic ${METRICS_TOKEN}` } });
    expect(basic.status).toBe(401);
    const right = await t.app.yoga.fetch('http://yoga/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(right.status).toBe(200);
    expect(right.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await right.text();
    // The process defaults are there.
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(t.logs.join('')).not.toContain(METRICS_TOKEN);
  });

  it('counts calls, tokens, cost, attempts and durations by exactly what the calls did, and no label holds the user’s data', async () => {
    await configureOpenAi();
    // Every answer takes at least 150 ms, so none may land in the 0.1 s bucket.
    fakes.openai.script({ delayMs: 150 });
    const before = await scrape();

    const costs: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await callLlm({});
      expect(response.errors).toBeUndefined();
      expect(response.data?.callLlm).toMatchObject({ text: ANSWER, inputTokens: 12, outputTokens: 7 });
      costs.push(Number(response.data!.callLlm.cost));
    }
    for (let i = 0; i < 2; i += 1) {
      fakes.openai.failNext({ status: 400, body: { error: { message: `invalid request about ${PROMPT}`, type: 'invalid_request_error' } } });
      const failed = await callLlm({});
      // A provider's 400 is the caller's mistake.
      expect(failed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    const anonymous = await t.graphql('{ me { email } }', { token: member.token });
    expect(anonymous.errors).toBeUndefined();
    const after = await scrape();

    const call = { provider: 'OPENAI', model: 'gpt-4o-mini' };
    expect(delta(before, after, 'agora_llm_calls_total', { ...call, status: 'SUCCEEDED' })).toBe(3);
    expect(delta(before, after, 'agora_llm_calls_total', { ...call, status: 'FAILED' })).toBe(2);
    expect(delta(before, after, 'agora_llm_tokens_total', { ...call, direction: 'input' })).toBe(36);
    expect(delta(before, after, 'agora_llm_tokens_total', { ...call, direction: 'output' })).toBe(21);
    expect(costs.every((cost) => cost > 0)).toBe(true);
    expect(delta(before, after, 'agora_llm_cost_usd_total', call)).toBeCloseTo(
      costs.reduce((sum, cost) => sum + cost, 0),
      10,
    );
    expect(delta(before, after, 'agora_llm_attempts_total', { provider: 'OPENAI', outcome: 'ok' })).toBe(3);
    expect(delta(before, after, 'agora_llm_attempts_total', { provider: 'OPENAI' })).toBe(5);

    expect(delta(before, after, 'agora_llm_call_duration_seconds_count', call)).toBe(5);
    expect(delta(before, after, 'agora_llm_call_duration_seconds_bucket', { ...call, le: '+Inf' })).toBe(5);
    expect(delta(before, after, 'agora_llm_call_duration_seconds_bucket', { ...call, le: '0.1' })).toBe(0);
    expect(delta(before, after, 'agora_llm_call_duration_seconds_sum', call)).toBeGreaterThanOrEqual(5 * 0.15);

    expect(delta(before, after, 'agora_graphql_operations_total', { operation: 'MetricsCall', outcome: 'ok' })).toBe(3);
    expect(delta(before, after, 'agora_graphql_operations_total', { operation: 'MetricsCall', outcome: 'error' })).toBe(2);
    expect(delta(before, after, 'agora_graphql_operations_total', { operation: 'anonymous', outcome: 'ok' })).toBe(1);
    expect(delta(before, after, 'agora_graphql_operation_duration_seconds_count', { operation: 'MetricsCall' })).toBe(5);
    expect(delta(before, after, 'agora_graphql_operation_duration_seconds_bucket', { operation: 'MetricsCall', le: '+Inf' })).toBe(5);
    expect(delta(before, after, 'agora_graphql_operation_duration_seconds_bucket', { operation: 'MetricsCall', le: '0.1' })).toBe(0);

    // Nothing of the user's anywhere in the scrape, labels included.
    const secrets = [MEMBER_EMAIL, member.id, member.token, t.adminToken, METRICS_TOKEN, API_KEY, PROMPT, 'metrics-prompt-91c2', ANSWER];
    for (const secret of secrets) expect(after.text).not.toContain(secret);
    const labelValues = after.samples.flatMap((sample) => Object.values(sample.labels));
    for (const secret of secrets) expect(labelValues.filter((value) => value.includes(secret))).toEqual([]);
  });

  it('labels a model by its catalogue id, and a model the catalogue does not know as other', async () => {
    await configureOpenAi();
    const before = await scrape();
    expect((await callLlm({ model: 'gpt-4o-mini-2024-07-18' })).errors).toBeUndefined();
    expect((await callLlm({ model: 'gpt-imaginary-metrics-model' })).errors).toBeUndefined();
    const after = await scrape();
    expect(delta(before, after, 'agora_llm_calls_total', { provider: 'OPENAI', model: 'gpt-4o-mini', status: 'SUCCEEDED' })).toBe(1);
    expect(delta(before, after, 'agora_llm_calls_total', { provider: 'OPENAI', model: 'other', status: 'SUCCEEDED' })).toBe(1);
    expect(after.text).not.toContain('gpt-imaginary-metrics-model');
    expect(after.text).not.toContain('gpt-4o-mini-2024-07-18');
  });

  it('places each call duration in its histogram buckets', async () => {
    const observer = createCallObserver();
    const before = await scrape();
    for (const durationSeconds of [0.05, 0.3, 0.3, 7, 500]) {
      observer.call({ provider: 'MISTRAL', model: 'no-such-mistral-model', status: 'SUCCEEDED', streamed: false, cached: false, durationSeconds, inputTokens: 1, outputTokens: 2, cost: '0.00000100' });
    }
    // A cached answer is a call but not a provider's duration.
    observer.call({ provider: 'MISTRAL', model: 'no-such-mistral-model', status: 'SUCCEEDED', streamed: false, cached: true, durationSeconds: 0.001, inputTokens: null, outputTokens: null, cost: '0' });
    const after = await scrape();
    const labels = { provider: 'MISTRAL', model: 'other' };
    const bucket = (le: string) => delta(before, after, 'agora_llm_call_duration_seconds_bucket', { ...labels, le });
    expect([bucket('0.1'), bucket('0.25'), bucket('0.5'), bucket('5'), bucket('10'), bucket('120'), bucket('+Inf')]).toEqual([1, 1, 3, 3, 4, 4, 5]);
    expect(delta(before, after, 'agora_llm_call_duration_seconds_count', labels)).toBe(5);
    expect(delta(before, after, 'agora_llm_call_duration_seconds_sum', labels)).toBeCloseTo(507.65, 9);
    expect(delta(before, after, 'agora_llm_calls_total', { ...labels, status: 'SUCCEEDED' })).toBe(6);
    expect(delta(before, after, 'agora_llm_tokens_total', { ...labels, direction: 'output' })).toBe(10);
    expect(delta(before, after, 'agora_llm_cost_usd_total', labels)).toBeCloseTo(0.000005, 12);
  });

  it('counts fallbacks, and attempts by outcome, per provider', async () => {
    const fallbackId = await t.configureProvider({ name: 'metrics-fallback', provider: 'CLAUDE', config: { baseUrl: fakes.baseUrls.CLAUDE }, apiKey: API_KEY });
    await t.configureProvider({ name: 'metrics-primary', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: API_KEY, isActive: true, fallbackIds: [fallbackId] });
    fakes.openai.failNext({ status: 500 }, { status: 500 }, { status: 500 });
    const before = await scrape();
    const response = await callLlm({});
    expect(response.errors).toBeUndefined();
    const after = await scrape();
    expect(delta(before, after, 'agora_llm_fallbacks_total', { from: 'OPENAI', to: 'CLAUDE' })).toBe(1);
    expect(delta(before, after, 'agora_llm_attempts_total', { provider: 'OPENAI', outcome: 'ok' })).toBe(0);
    expect(delta(before, after, 'agora_llm_attempts_total', { provider: 'OPENAI' })).toBe(1);
    expect(delta(before, after, 'agora_llm_attempts_total', { provider: 'CLAUDE', outcome: 'ok' })).toBe(1);
    expect(delta(before, after, 'agora_llm_calls_total', { provider: 'CLAUDE', status: 'SUCCEEDED' })).toBe(1);
  });

  it('counts response cache misses, stores and hits', async () => {
    await configureOpenAi();
    const before = await scrape();
    const first = await callLlm({ cache: true, prompt: `${PROMPT} (cached)` });
    expect(first.errors).toBeUndefined();
    const second = await callLlm({ cache: true, prompt: `${PROMPT} (cached)` });
    expect(second.errors).toBeUndefined();
    const after = await scrape();
    expect(fakes.openai.requests).toHaveLength(1);
    expect(delta(before, after, 'agora_response_cache_total', { result: 'miss' })).toBe(1);
    expect(delta(before, after, 'agora_response_cache_total', { result: 'store' })).toBe(1);
    expect(delta(before, after, 'agora_response_cache_total', { result: 'hit' })).toBe(1);
    // Two calls (the cached one too), but only one provider duration.
    expect(delta(before, after, 'agora_llm_calls_total', { provider: 'OPENAI', status: 'SUCCEEDED' })).toBe(2);
    expect(delta(before, after, 'agora_llm_call_duration_seconds_count', { provider: 'OPENAI' })).toBe(1);
  });

  it('counts budget refusals by scope and rate-limit refusals by limit', async () => {
    await configureOpenAi();
    const budgeted = await t.createUser(`metrics-budgeted-${randomUUID()}@example.com`);
    const requestLimited = await t.createUser(`metrics-rpm-${randomUUID()}@example.com`);
    const tokenLimited = await t.createUser(`metrics-tpm-${randomUUID()}@example.com`);
    const budget = await t.graphql('mutation($input: SetBudgetInput!) { setBudget(input: $input) { id } }', {
      variables: { input: { scope: 'USER', userId: budgeted.id, period: 'DAY', limit: '0.00000001' } },
    });
    expect(budget.errors).toBeUndefined();
    const limit = (userId: string, rpm: number | null, tpm: number | null) =>
      t.graphql('mutation($userId: ID!, $rpm: Int, $tpm: Int) { setUserRateLimit(userId: $userId, requestsPerMinute: $rpm, tokensPerMinute: $tpm) { id } }', {
        variables: { userId, rpm, tpm },
      });
    expect((await limit(requestLimited.id, 1, null)).errors).toBeUndefined();
    expect((await limit(tokenLimited.id, null, 1)).errors).toBeUndefined();

    const before = await scrape();
    expect((await callLlm({}, budgeted.token)).errors?.[0]?.extensions?.code).toBe('BUDGET_EXCEEDED');
    expect((await callLlm({}, requestLimited.token)).errors).toBeUndefined();
    expect((await callLlm({}, requestLimited.token)).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect((await callLlm({}, tokenLimited.token)).errors).toBeUndefined();
    expect((await callLlm({}, tokenLimited.token)).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const after = await scrape();
    expect(delta(before, after, 'agora_budget_refusals_total', { scope: 'USER' })).toBe(1);
    expect(delta(before, after, 'agora_budget_refusals_total')).toBe(1);
    expect(delta(before, after, 'agora_rate_limit_refusals_total', { kind: 'requests' })).toBe(1);
    expect(delta(before, after, 'agora_rate_limit_refusals_total', { kind: 'tokens' })).toBe(1);
    for (const user of [budgeted, requestLimited, tokenLimited]) expect(after.text).not.toContain(user.id);
  });

  it('counts refused documents as errors under their operation name', async () => {
    const before = await scrape();
    expect((await t.graphql('query RefusedDoc { noSuchField }')).errors?.length).toBeGreaterThan(0);
    expect((await t.graphql('query { unterminated')).errors?.length).toBeGreaterThan(0);
    const after = await scrape();
    expect(delta(before, after, 'agora_graphql_operations_total', { operation: 'RefusedDoc', outcome: 'error' })).toBe(1);
    expect(delta(before, after, 'agora_graphql_operations_total', { operation: 'anonymous', outcome: 'error' })).toBe(1);
  });
});

describe('subscriptions that fail', () => {
  it('counts a stream that fails midway once, as an error', async () => {
    await configureOpenAi();
    fakes.openai.script({ midStream: { afterDeltas: 1, mode: 'close' } });
    const STREAM = 'subscription FailingStream($input: CallLlmInput!) { llmStream(input: $input) { delta done } }';
    const before = await scrape();
    const text = await (await streamOverSse(STREAM)).text();
    expect(text).toContain('"delta"');
    expect(text).toContain('"errors"');
    fakes.openai.script({});
    const after = await scrape();
    expect(delta(before, after, 'agora_graphql_operations_total', { operation: 'FailingStream', outcome: 'error' })).toBe(1);
    expect(delta(before, after, 'agora_graphql_operations_total', { operation: 'FailingStream', outcome: 'ok' })).toBe(0);
  });
});

describe('live state sampled at each scrape', () => {
  it('counts streaming subscriptions by transport while they stream (SSE and WebSocket)', async () => {
    await configureOpenAi();
    fakes.openai.script({ midStream: { afterDeltas: 1, mode: 'stall' } });
    const STREAM = 'subscription MetricsStream($input: CallLlmInput!) { llmStream(input: $input) { delta done } }';
    const base = await scrape();
    const active = async (transport: string) => (await scrape()).value('agora_subscriptions_active', { transport }) - base.value('agora_subscriptions_active', { transport });

    const abort = new AbortController();
    const sse = await streamOverSse(STREAM, abort.signal);
    const reader = sse.body!.getReader();
    let received = '';
    while (!received.includes('"delta"')) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`the stream ended before its first delta: ${received}`);
      received += new TextDecoder().decode(chunk.value);
    }
    expect(await active('sse')).toBe(1);
    abort.abort();
    await reader.cancel().catch(() => {});
    await waitFor(async () => (await active('sse')) === 0, 10_000, 'the SSE subscription to end');

    const port = await t.app.start(0, '127.0.0.1');
    const client = wsClient(`ws://127.0.0.1:${port}/graphql`, member.token);
    try {
      const subscription = client.iterate({ query: STREAM, variables: { input: { prompt: PROMPT } } });
      const first = await subscription.next();
      expect(first.done).toBe(false);
      expect(await active('ws')).toBe(1);
      await subscription.return?.();
      await waitFor(async () => (await active('ws')) === 0, 10_000, 'the WebSocket subscription to end');
    } finally {
      await client.dispose();
    }
  });

  it('reports jobs by queue and state from pg-boss, and the PostgreSQL pool', async () => {
    const now = await scrape();
    for (const queue of ['analysis', 'analysis-dead']) {
      for (const state of ['ready', 'deferred', 'active', 'failed']) {
        const series = now.samples.filter((sample) => sample.name === 'agora_jobs' && sample.labels.queue === queue && sample.labels.state === state);
        expect(series, `${queue} ${state}`).toHaveLength(1);
        expect(series[0]!.value).toBeGreaterThanOrEqual(0);
      }
    }
    // The test database's pool (5 connections at most) has served this file's queries.
    const open = now.value('agora_db_pool_connections', { state: 'idle' }) + now.value('agora_db_pool_connections', { state: 'used' });
    expect(open).toBeGreaterThanOrEqual(1);
    expect(open).toBeLessThanOrEqual(5);
    expect(now.value('agora_db_pool_connections', { state: 'waiting' })).toBe(0);
  });

  it('reports a circuit breaker’s state changes by configuration', async () => {
    const configurationId = randomUUID();
    circuitStateChanged({ configurationId, from: 'CLOSED', to: 'OPEN' }, 'OPENAI');
    expect((await scrape()).value('agora_circuit_state', { configuration: configurationId, provider: 'OPENAI' })).toBe(2);
    circuitStateChanged({ configurationId, from: 'OPEN', to: 'HALF_OPEN' }, 'OPENAI');
    expect((await scrape()).value('agora_circuit_state', { configuration: configurationId, provider: 'OPENAI' })).toBe(1);
    circuitStateChanged({ configurationId, from: 'HALF_OPEN', to: 'CLOSED' }, 'OPENAI');
    expect((await scrape()).value('agora_circuit_state', { configuration: configurationId, provider: 'OPENAI' })).toBe(0);
  });

  redisTest('reports whether a watched Redis connection is up, and forgets it once closed', async (redisUrl) => {
    const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await client.connect();
    watchRedis('metrics-test', client);
    expect((await scrape()).value('agora_redis_connected', { client: 'metrics-test' })).toBe(1);
    client.disconnect();
    await waitFor(() => client.status === 'end', 5_000, 'the Redis connection to close');
    expect((await scrape()).samples.filter((sample) => sample.name === 'agora_redis_connected' && sample.labels.client === 'metrics-test')).toEqual([]);
  });
});

// Last: once the 200 names are taken, every later name in this process counts as other.
describe('operation names', () => {
  it('keeps operation names to a bounded set: cut to 64 characters, and past 200 names counted as other', async () => {
    const before = await scrape();
    const named = (samples: Sample[]) =>
      new Set(samples.filter((sample) => sample.name === 'agora_graphql_operations_total').map((sample) => sample.labels.operation!).filter((name) => name !== 'anonymous' && name !== 'other'));
    const known = named(before.samples).size;
    const long = `Long${'x'.repeat(96)}`;
    expect((await t.graphql(`query ${long} { __typename }`)).errors).toBeUndefined();
    for (let i = 0; i < 220; i += 1) expect((await t.graphql(`query Bounded${i} { __typename }`)).errors).toBeUndefined();
    const after = await scrape();
    expect(delta(before, after, 'agora_graphql_operations_total', { operation: long.slice(0, 64), outcome: 'ok' })).toBe(1);
    expect(after.text).not.toContain(long);
    expect(named(after.samples).size).toBe(200);
    // The long name took one of the free places, the first Bounded names the others.
    const free = 200 - known - 1;
    expect(delta(before, after, 'agora_graphql_operations_total', { operation: 'other', outcome: 'ok' })).toBe(220 - free);
  });
});
