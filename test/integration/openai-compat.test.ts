import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { computeCost, defaultModel } from '../../src/llm/catalogue.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

// The OpenAI-compatible endpoint through the real `openai` SDK: the same pipeline as callLlm, routed to each
// provider's fake speaking its own wire format, with the same usage rows and exact costs.
let t: TestApp;
let fakes: FakeLlmServers;
let baseURL: string;
let client: OpenAI;

const REMOTE = ['OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'] as const;
type Remote = (typeof REMOTE)[number];

/** Where each fake is asked, in its provider's own API. */
const WIRE_PATH: Record<Remote, RegExp> = {
  OPENAI: /^\/v1\/chat\/completions$/,
  GROK: /^\/v1\/chat\/completions$/,
  COPILOT: /^\/chat\/completions$/,
  CLAUDE: /^\/v1\/messages$/,
  GEMINI: /^\/v1beta\/models\/[^/]+:(stream)?[gG]enerateContent$/,
  MISTRAL: /^\/v1\/chat\/completions$/,
  OLLAMA: /^\/api\/chat$/,
};

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'The weather in a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp();
  baseURL = `http://127.0.0.1:${await t.app.start(0, '127.0.0.1')}/v1`;
  client = new OpenAI({ apiKey: t.adminToken, baseURL, maxRetries: 0 });
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.intelligence_providers');
  await t.db.sql('delete from specs.usage_records');
  for (const kind of REMOTE) await configure(kind, false);
});

async function configure(kind: Remote, isActive: boolean, name: string = kind): Promise<string> {
  return t.configureProvider({ name, provider: kind, config: fakes.settingsFor(kind), apiKey: `key-for-${kind}`, isActive });
}

const usageRows = () =>
  t.db.sql<{ provider: string; model: string; cost: string | null; status: string; streamed: boolean; project_id: string | null }>(
    'select * from specs.usage_records order by created_at',
  );

const chatRequests = (kind: Remote) => fakes.serverFor(kind).requests.filter((request) => WIRE_PATH[kind].test(request.path));

const sumExact = (values: string[]) => {
  const total = values.reduce((sum, value) => sum + BigInt(value.replace('.', '')), 0n);
  const text = total.toString().padStart(9, '0');
  return `${text.slice(0, -8)}.${text.slice(-8)}`;
};

describe.each(REMOTE)('the OpenAI SDK against Agora, served by %s', (kind) => {
  const model = defaultModel(kind);
  const name = `${kind.toLowerCase()}/${model}`;
  const exactCost = computeCost(kind, model, { inputTokens: 12, outputTokens: 7 });

  it('answers a chat completion from the fake in its own wire format, with one usage row at the exact cost', async () => {
    const completion = await client.chat.completions.create({
      model: name,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Say hello' }] },
      ],
    });
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: name,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the fake provider.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
    });
    expect(completion.id).toMatch(/^chatcmpl-[\w-]{20,}$/);
    expect(completion.created).toBeGreaterThan(Date.now() / 1000 - 60);
    const sent = chatRequests(kind);
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0]!.body)).toContain('Say hello');
    expect(JSON.stringify(sent[0]!.body)).toContain('Be brief.');
    expect(await usageRows()).toEqual([expect.objectContaining({ provider: kind, model, status: 'SUCCEEDED', streamed: false, cost: exactCost })]);
  });

  it('streams content deltas, a finish chunk and the usage chunk, with one streamed usage row', async () => {
    const stream = await client.chat.completions.create({ model: name, messages: [{ role: 'user', content: 'Say hello' }], stream: true, stream_options: { include_usage: true } });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello from the fake provider.');
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(1);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 } });
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    for (const chunk of chunks) expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: name });
    expect(chatRequests(kind)).toHaveLength(1);
    expect(await usageRows()).toEqual([expect.objectContaining({ provider: kind, status: 'SUCCEEDED', streamed: true, cost: exactCost })]);
  });

  it("makes a tool round trip with the SDK's own message objects, and streams a tool call its stream helper assembles", async () => {
    fakes.serverFor(kind).script({ text: '', toolCalls: [{ id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' }], argumentChunks: 3 });
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const asked = await client.chat.completions.create({ model: name, messages, tools: [WEATHER_TOOL] });
    const choice = asked.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([{ id: expect.any(String), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);

    const streamed = await client.chat.completions.stream({ model: name, messages, tools: [WEATHER_TOOL] }).finalChatCompletion();
    expect(streamed.choices[0]!.finish_reason).toBe('tool_calls');
    expect(streamed.choices[0]!.message.tool_calls).toEqual([expect.objectContaining({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } })]);

    fakes.serverFor(kind).script({ text: 'It is sunny in Paris.', toolCalls: undefined });
    const callId = choice.message.tool_calls![0]!.id;
    // The assistant message goes back exactly as the SDK returned it (refusal: null and all).
    messages.push(choice.message, { role: 'tool', tool_call_id: callId, content: '{"forecast":"sunny, 21 C"}' });
    const answered = await client.chat.completions.create({ model: name, messages, tools: [WEATHER_TOOL] });
    expect(answered.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'It is sunny in Paris.' } });
    expect(answered.choices[0]!.message.tool_calls).toBeUndefined();
    const sent = JSON.stringify(chatRequests(kind).at(-1)?.body);
    expect(sent).toContain('sunny, 21 C');
    expect(sent).toContain('get_weather');

    const rows = await usageRows();
    expect(rows.map((row) => [row.status, row.streamed, row.cost])).toEqual([
      ['SUCCEEDED', false, exactCost],
      ['SUCCEEDED', true, exactCost],
      ['SUCCEEDED', false, exactCost],
    ]);
  });
});

describe('model names', () => {
  it('serves a bare catalogue id by the provider that lists it, and one two providers list by the first the viewer can use', async () => {
    const claude = await client.chat.completions.create({ model: 'claude-sonnet-4-20250514', messages: [{ role: 'user', content: 'hi' }] });
    expect(claude.model).toBe('claude/claude-sonnet-4-20250514');
    expect(chatRequests('CLAUDE')).toHaveLength(1);

    const openai = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(openai.model).toBe('openai/gpt-4o');
    await t.db.sql("delete from specs.intelligence_providers where provider = 'OPENAI'");
    const copilot = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(copilot.model).toBe('copilot/gpt-4o');
    expect(chatRequests('COPILOT')).toHaveLength(1);
  });

  it('serves a model id the catalogue does not list under its provider, at an unknown cost (null, never 0)', async () => {
    const completion = await client.chat.completions.create({ model: 'openai/gpt-from-next-week', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.model).toBe('openai/gpt-from-next-week');
    expect((chatRequests('OPENAI')[0]!.body as { model: string }).model).toBe('gpt-from-next-week');
    expect(await usageRows()).toEqual([expect.objectContaining({ model: 'gpt-from-next-week', cost: null })]);
  });

  it('routes agora/default as callLlm does: the active configuration, or the project named by X-Agora-Project', async () => {
    await t.db.sql("delete from specs.intelligence_providers where provider = 'MISTRAL'");
    await configure('MISTRAL', true, 'active-mistral');
    const active = await client.chat.completions.create({ model: 'agora/default', messages: [{ role: 'user', content: 'hi' }] });
    expect(active.model).toBe('mistral/mistral-small-latest');

    const project = await t.graphql<{ createProject: { id: string } }>('mutation { createProject(input: { name: "Routed" }) { id } }');
    const projectId = project.data!.createProject.id;
    const set = await t.graphql('mutation($id: ID!) { setProjectLlm(projectId: $id, provider: GEMINI, model: "gemini-2.5-flash") { id } }', { variables: { id: projectId } });
    expect(set.errors).toBeUndefined();
    const forProject = new OpenAI({ apiKey: t.adminToken, baseURL, maxRetries: 0, defaultHeaders: { 'X-Agora-Project': projectId } });
    const routed = await forProject.chat.completions.create({ model: 'agora/default', messages: [{ role: 'user', content: 'hi' }] });
    expect(routed.model).toBe('gemini/gemini-2.5-flash');
    // Streamed, every chunk names the routed model, the first ones too.
    const stream = await forProject.chat.completions.create({ model: 'agora/default', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const models = new Set<string>();
    for await (const chunk of stream) models.add(chunk.model);
    expect([...models]).toEqual(['gemini/gemini-2.5-flash']);
    const claude = await forProject.chat.completions.create({ model: 'claude/claude-sonnet-4-20250514', messages: [{ role: 'user', content: 'hi' }] });
    expect(claude.model).toBe('claude/claude-sonnet-4-20250514');

    // The usage summary shows the project's three calls (one streamed), at their exact costs.
    const gemini = computeCost('GEMINI', 'gemini-2.5-flash', { inputTokens: 12, outputTokens: 7 })!;
    const costs = [gemini, gemini, computeCost('CLAUDE', 'claude-sonnet-4-20250514', { inputTokens: 12, outputTokens: 7 })!];
    const usage = await t.graphql<{ usage: { calls: number; totalCost: string; inputTokens: number; byProvider: { key: string; calls: number; cost: string }[] } }>(
      'query($projectId: ID!) { usage(filter: { projectId: $projectId }) { calls totalCost inputTokens byProvider { key calls cost } } }',
      { variables: { projectId } },
    );
    expect(usage.errors).toBeUndefined();
    expect(usage.data!.usage).toMatchObject({ calls: 3, inputTokens: 36, totalCost: sumExact(costs) });
    expect(usage.data!.usage.byProvider).toEqual(
      expect.arrayContaining([
        { key: 'GEMINI', calls: 2, cost: sumExact([gemini, gemini]) },
        { key: 'CLAUDE', calls: 1, cost: costs[2] },
      ]),
    );
    const rows = await usageRows();
    expect(rows.map((row) => [row.provider, row.project_id, row.streamed])).toEqual([
      ['MISTRAL', null, false],
      ['GEMINI', projectId, false],
      ['GEMINI', projectId, true],
      ['CLAUDE', projectId, false],
    ]);
  });
});

describe('response formats', () => {
  it('carries json_schema to OpenAI and json_object to Gemini in their own shapes', async () => {
    fakes.openai.script({ text: '{"ok":true}' });
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const structured = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Is it ok?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'verdict', schema } },
    });
    expect(JSON.parse(structured.choices[0]!.message.content!)).toEqual({ ok: true });
    expect(fakes.openai.requests.at(-1)?.body).toMatchObject({ response_format: { type: 'json_schema', json_schema: { name: 'verdict', schema } } });

    fakes.gemini.script({ text: '{"ok":true}' });
    const json = await client.chat.completions.create({ model: 'gemini/gemini-2.0-flash', messages: [{ role: 'user', content: 'Is it ok? Answer in JSON.' }], response_format: { type: 'json_object' } });
    expect(JSON.parse(json.choices[0]!.message.content!)).toEqual({ ok: true });
    expect(JSON.stringify(fakes.gemini.requests.at(-1)?.body)).toContain('application/json');
  });
});

describe('GET /v1/models', () => {
  it('lists agora/default and the models of every provider the viewer can use, never the local one', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    const ids = models.map((model) => model.id);
    expect(ids[0]).toBe('agora/default');
    for (const kind of REMOTE) expect(ids).toContain(`${kind.toLowerCase()}/${defaultModel(kind)}`);
    expect(ids.some((id) => id.startsWith('local/'))).toBe(false);
    for (const model of models) expect(model).toMatchObject({ object: 'model', created: expect.any(Number), owned_by: model.id.split('/')[0] });
    expect(await client.models.retrieve('claude/claude-sonnet-4-20250514')).toMatchObject({ id: 'claude/claude-sonnet-4-20250514', owned_by: 'claude' });
  });

  it('lists only what needs no key when nothing is configured and the viewer has no key of their own', async () => {
    await t.db.sql('delete from specs.intelligence_providers');
    const member = await t.createUser('models-member@example.com');
    const memberClient = new OpenAI({ apiKey: member.token, baseURL, maxRetries: 0 });
    const ids = [];
    for await (const model of memberClient.models.list()) ids.push(model.id);
    expect(ids[0]).toBe('agora/default');
    expect(ids.slice(1).every((id) => id.startsWith('ollama/'))).toBe(true);
    expect(ids).toContain('ollama/llama3.2');
  });
});
