import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { computeCost, defaultModel } from '../../src/llm/catalogue.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

// Chat calls through the whole gateway: GraphQL input -> routing -> the real SDK -> each provider's fake
// speaking its own wire format, tool calls included -> the normalised result and one usage row per call.
let t: TestApp;
let fakes: FakeLlmServers;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp();
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.intelligence_providers');
  await t.db.sql('delete from specs.usage_records');
});

const REMOTE = ['OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'] as const;
type Remote = (typeof REMOTE)[number];

const RESULT = `text provider model inputTokens outputTokens cost costKnown finishReason
  toolCalls { id name arguments argumentsError } json jsonError cached attempts { provider model ok latencyMs }`;

interface Result {
  text: string;
  provider: string;
  model: string;
  inputTokens: number | null;
  outputTokens: number | null;
  cost: string | null;
  costKnown: boolean;
  finishReason: string;
  toolCalls: { id: string; name: string; arguments: unknown; argumentsError: string | null }[];
  json: unknown;
  jsonError: string | null;
  cached: boolean;
  attempts: { provider: string; model: string; ok: boolean }[];
}

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const TOOL_RESULT = '{"forecast":"sunny, 21 C"}';

async function configure(kind: Remote): Promise<void> {
  await t.configureProvider({ name: kind, provider: kind, config: fakes.settingsFor(kind), apiKey: `key-for-${kind}`, isActive: true });
}

async function callLlm(input: Record<string, unknown>) {
  return t.graphql<{ callLlm: Result }>(`mutation($input: CallLlmInput!) { callLlm(input: $input) { ${RESULT} } }`, { variables: { input } });
}

/** llmStream over SSE: every event's data, in order. */
async function llmStream(input: Record<string, unknown>): Promise<{ delta: string | null; done: boolean; result: Result | null }[]> {
  const response = await t.app.yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${t.adminToken}` },
    body: JSON.stringify({
      query: `subscription($input: CallLlmInput!) { llmStream(input: $input) { delta done result { ${RESULT} } } }`,
      variables: { input },
    }),
  });
  const text = await response.text();
  const events = text
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: ')
    .map((line) => JSON.parse(line.slice(6)) as { data?: { llmStream: { delta: string | null; done: boolean; result: Result | null } }; errors?: unknown });
  for (const event of events) expect(event.errors).toBeUndefined();
  return events.flatMap((event) => (event.data ? [event.data.llmStream] : []));
}

const usageRows = () => t.db.sql<{ provider: string; model: string; cost: string | null; status: string; streamed: boolean }>('select * from specs.usage_records order by created_at');

const conversation = (toolCallId: string) => [
  { role: 'USER', content: 'What is the weather in Paris?' },
  { role: 'ASSISTANT', content: '', toolCalls: [{ id: toolCallId, name: 'get_weather', arguments: { city: 'Paris' } }] },
  { role: 'TOOL', toolCallId, content: TOOL_RESULT },
];

describe.each(REMOTE)('a tool round trip with %s', (kind) => {
  const model = defaultModel(kind);
  const exactCost = computeCost(kind, model, { inputTokens: 12, outputTokens: 7 });

  it('asks, gets a tool call, sends the result and gets the answer through callLlm, one usage row per call', async () => {
    await configure(kind);
    fakes.serverFor(kind).script({ text: '', toolCalls: [{ id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const first = await callLlm({ messages: [{ role: 'USER', content: 'What is the weather in Paris?' }], tools: [WEATHER_TOOL] });
    expect(first.errors).toBeUndefined();
    const asked = first.data!.callLlm;
    expect(asked).toMatchObject({ provider: kind, model, finishReason: 'TOOL_CALLS', cost: exactCost, cached: false });
    expect(asked.toolCalls).toHaveLength(1);
    expect(asked.toolCalls[0]).toMatchObject({ name: 'get_weather', arguments: { city: 'Paris' }, argumentsError: null });
    expect(asked.attempts).toEqual([expect.objectContaining({ provider: kind, model, ok: true })]);

    const callId = asked.toolCalls[0]!.id;
    fakes.serverFor(kind).script({ text: 'It is sunny in Paris.', toolCalls: undefined });
    const second = await callLlm({ messages: conversation(callId), tools: [WEATHER_TOOL] });
    expect(second.errors).toBeUndefined();
    expect(second.data!.callLlm).toMatchObject({ text: 'It is sunny in Paris.', finishReason: 'STOP', toolCalls: [], cost: exactCost });
    // The tool's result travelled upstream in the provider's own shape.
    const sent = JSON.stringify(fakes.serverFor(kind).requests.at(-1)?.body);
    expect(sent).toContain('sunny, 21 C');
    expect(sent).toContain('get_weather');

    const rows = await usageRows();
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ provider: kind, model, status: 'SUCCEEDED', streamed: false, cost: exactCost });
  });

  it('streams the tool call and then the answer through llmStream, one usage row per stream', async () => {
    await configure(kind);
    fakes.serverFor(kind).script({ text: '', toolCalls: [{ id: 'call_weather_2', name: 'get_weather', arguments: '{"city":"Paris"}' }], argumentChunks: 3 });
    const first = await llmStream({ messages: [{ role: 'USER', content: 'What is the weather in Paris?' }], tools: [WEATHER_TOOL] });
    const asked = first.at(-1)!;
    expect(asked.done).toBe(true);
    expect(asked.result).toMatchObject({ finishReason: 'TOOL_CALLS', cost: exactCost });
    expect(asked.result!.toolCalls).toEqual([expect.objectContaining({ name: 'get_weather', arguments: { city: 'Paris' } })]);

    fakes.serverFor(kind).script({ text: 'It is sunny in Paris.', toolCalls: undefined });
    const second = await llmStream({ messages: conversation(asked.result!.toolCalls[0]!.id), tools: [WEATHER_TOOL] });
    expect(second.filter((event) => !event.done).map((event) => event.delta).join('')).toBe('It is sunny in Paris.');
    expect(second.at(-1)!.result).toMatchObject({ text: 'It is sunny in Paris.', finishReason: 'STOP', toolCalls: [] });

    const rows = await usageRows();
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ provider: kind, status: 'SUCCEEDED', streamed: true });
  });
});

describe('chat calls', () => {
  it('parses a JSON_SCHEMA answer into json, and reports one that is not JSON instead of returning it as text only', async () => {
    await configure('OPENAI');
    const responseFormat = { type: 'JSON_SCHEMA', name: 'verdict', schema: { type: 'object', properties: { ok: { type: 'boolean' } } } };
    fakes.openai.script({ text: '{"ok":true}' });
    const valid = await callLlm({ prompt: 'Is it ok?', responseFormat });
    expect(valid.data?.callLlm).toMatchObject({ json: { ok: true }, jsonError: null });
    expect(fakes.openai.requests.at(-1)?.body).toMatchObject({ response_format: { type: 'json_schema', json_schema: { name: 'verdict' } } });
    fakes.openai.script({ text: 'Sure, it is ok!' });
    const invalid = await callLlm({ prompt: 'Is it ok?', responseFormat });
    expect(invalid.data?.callLlm).toMatchObject({ text: 'Sure, it is ok!', json: null });
    expect(invalid.data?.callLlm.jsonError).toMatch(/not valid JSON/);
  });

  it('gives arguments that are not JSON as the raw text with an error, never a crash', async () => {
    await configure('OPENAI');
    fakes.openai.script({ text: '', toolCalls: [{ id: 'call_bad', name: 'get_weather', arguments: '{"city": Par' }] });
    const response = await callLlm({ prompt: 'Weather?', tools: [WEATHER_TOOL] });
    expect(response.errors).toBeUndefined();
    expect(response.data?.callLlm.toolCalls[0]).toMatchObject({ arguments: '{"city": Par' });
    expect(response.data?.callLlm.toolCalls[0]?.argumentsError).toMatch(/not valid JSON/);
  });

  it('refuses what a provider cannot do before any upstream request, and records nothing', async () => {
    await configure('OLLAMA');
    const response = await callLlm({ prompt: 'Weather?', tools: [WEATHER_TOOL], toolChoice: 'required' });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(/Ollama/);
    expect(fakes.ollama.requests).toHaveLength(0);
    expect(await usageRows()).toHaveLength(0);
  });

  it.each([
    [{ prompt: 'hi', messages: [{ role: 'USER', content: 'hi' }] }, /exactly one of prompt and messages/],
    [{}, /exactly one of prompt and messages/],
    [{ messages: [{ role: 'TOOL', toolCallId: 'nope', content: 'x' }] }, /answers no tool call/],
    [{ messages: [{ role: 'USER', content: 'hi' }, { role: 'ASSISTANT', content: 'hello' }] }, /last message/],
    [{ prompt: 'hi', tools: [{ name: 'bad name!', parameters: { type: 'object' } }] }, /tools\[0\]\.name/],
    [{ prompt: 'hi', tools: [{ name: 'f', parameters: { type: 'string' } }] }, /type "object"/],
    [{ prompt: 'hi', tools: [{ name: 'f', parameters: { type: 'object', properties: { a: { type: 'text' } } } }] }, /not a JSON Schema type/],
    [{ prompt: 'hi', tools: [WEATHER_TOOL], toolChoice: 'other_tool' }, /toolChoice/],
    [{ prompt: 'hi', responseFormat: { type: 'JSON_SCHEMA' } }, /schema is required/],
  ])('refuses a malformed call with BAD_USER_INPUT before routing (%#)', async (input, message) => {
    await configure('OPENAI');
    const response = await callLlm(input);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(message);
    expect(fakes.openai.requests).toHaveLength(0);
    expect(await usageRows()).toHaveLength(0);
  });

  it('serves a model the catalogue does not list, with an unknown cost (null, never 0) on the result and the usage row', async () => {
    await configure('OPENAI');
    const response = await callLlm({ prompt: 'hi', model: 'gpt-from-next-week' });
    expect(response.errors).toBeUndefined();
    expect(response.data?.callLlm).toMatchObject({ model: 'gpt-from-next-week', cost: null, costKnown: false, inputTokens: 12 });
    const rows = await usageRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: 'gpt-from-next-week', cost: null });
  });
});

describe('call limits', () => {
  it('bounds messages, characters and tools as configured, with a clear error and no upstream request', async () => {
    const limited = await createTestApp({ CALL_MAX_MESSAGES: '2', CALL_MAX_CHARACTERS: '1000', CALL_MAX_TOOLS: '1' }, { database: t.db });
    try {
      const call = (input: Record<string, unknown>) =>
        limited.graphql<{ callLlm: Result }>(`mutation($input: CallLlmInput!) { callLlm(input: $input) { text } }`, { variables: { input }, token: t.adminToken });
      await configure('OPENAI');
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ messages: [{ role: 'USER', content: 'a' }, { role: 'ASSISTANT', content: 'b' }, { role: 'USER', content: 'c' }] }, /more than 2 messages/],
        [{ prompt: 'x'.repeat(1001) }, /longer than 1000 characters/],
        [{ prompt: 'hi', tools: [WEATHER_TOOL, { ...WEATHER_TOOL, name: 'other' }] }, /more than 1 tools/],
      ];
      for (const [input, message] of cases) {
        const response = await call(input);
        expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(response.errors?.[0]?.message).toMatch(message);
      }
      expect(fakes.openai.requests).toHaveLength(0);
      expect((await call({ prompt: 'x'.repeat(900) })).errors).toBeUndefined();
    } finally {
      await limited.close();
    }
  });
});

describe('a client that goes away', () => {
  it('cancels a non-streamed callLlm upstream: one request, one CANCELLED usage row, no retry', async () => {
    await configure('OPENAI');
    fakes.openai.script({ delayMs: 2_000 });
    const port = await t.app.start(0, '127.0.0.1');
    const controller = new AbortController();
    const call = fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query: 'mutation { callLlm(input: { prompt: "hi" }) { text } }' }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(fakes.openai.requests).toHaveLength(1), { timeout: 5_000 });
    controller.abort();
    await call;
    await vi.waitFor(async () => expect((await usageRows()).map((row) => row.status)).toEqual(['CANCELLED']), { timeout: 5_000 });
    // And it stays that way: no retry went out after the client left.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(fakes.openai.requests).toHaveLength(1);
    expect(await usageRows()).toHaveLength(1);
  });
});
