import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AI_ANSWER, analyze, createIncident, expectOrderedEvents, finished, readRun, waitForRun } from '../support/analysis.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { waitFor } from '../support/process.ts';

let t: TestApp;
let fakes: FakeLlmServers;
const KEY = 'sk-incident-key-9999';

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

async function activateOpenAi() {
  await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
    variables: { input: { name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: KEY, isActive: true } },
  });
}

const OOM = {
  title: 'api pods OOMKilled',
  description: 'The api deployment restarts every few minutes with out of memory errors.',
  severity: 'HIGH',
  service: 'api',
  alerts: [{ name: 'MemoryHigh', labels: { memory_percent: 96 } }],
};

type Recommendation = { type: string; title: string; description: string; priority: string; confidence: number; actions: string[]; provider: string; model: string; isFallback: boolean };
async function recommendations(incidentId: string, token?: string): Promise<Recommendation[]> {
  const response = await t.graphql<{ incident: { recommendations: Recommendation[] } }>(
    'query($id: ID!) { incident(id: $id) { recommendations { type title description priority confidence actions provider model isFallback } } }',
    { variables: { id: incidentId }, token },
  );
  return response.data!.incident.recommendations;
}

describe('incidents', () => {
  it('creates, updates, lists with filters and pages', async () => {
    const member = await t.createUser('incidents-list@example.com');
    const ids: string[] = [];
    for (const [i, severity] of (['LOW', 'HIGH', 'HIGH', 'CRITICAL'] as const).entries()) {
      ids.push(await createIncident(t, { title: `incident ${i}`, severity, alerts: { n: i } }, member.token));
    }
    const updated = await t.graphql<{ updateIncident: { status: string; title: string } }>(
      'mutation($id: ID!) { updateIncident(id: $id, input: { status: RESOLVED, title: "renamed" }) { status title } }',
      { variables: { id: ids[0] }, token: member.token },
    );
    expect(updated.data?.updateIncident).toEqual({ status: 'RESOLVED', title: 'renamed' });
    type Page = { incidents: { edges: { node: { title: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const high = await t.graphql<Page>('{ incidents(severity: HIGH) { edges { node { title } } } }', { token: member.token });
    expect(high.data?.incidents.edges.map((edge) => edge.node.title)).toEqual(['incident 2', 'incident 1']);
    const resolved = await t.graphql<Page>('{ incidents(status: RESOLVED) { edges { node { title } } } }', { token: member.token });
    expect(resolved.data?.incidents.edges.map((edge) => edge.node.title)).toEqual(['renamed']);
    const first = await t.graphql<Page>('{ incidents(first: 3) { edges { node { title } } pageInfo { hasNextPage endCursor } } }', { token: member.token });
    expect(first.data?.incidents.pageInfo.hasNextPage).toBe(true);
    const rest = await t.graphql<Page>('query($after: String) { incidents(first: 3, after: $after) { edges { node { title } } pageInfo { hasNextPage } } }', {
      token: member.token,
      variables: { after: first.data?.incidents.pageInfo.endCursor },
    });
    expect(rest.data?.incidents.edges.map((edge) => edge.node.title)).toEqual(['renamed']);
  });

  it('refuses a missing title and oversized alerts with BAD_USER_INPUT', async () => {
    const noTitle = await t.graphql('mutation { createIncident(input: { title: "  " }) { id } }');
    expect(noTitle.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const huge = await t.graphql('mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }', {
      variables: { input: { title: 'big', alerts: { blob: 'x'.repeat(900_000), more: 'y'.repeat(200_000) } } },
    });
    expect(huge.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('keeps other users\u2019 incidents and runs out of sight (NOT_FOUND)', async () => {
    const owner = await t.createUser('incidents-owner@example.com');
    const other = await t.createUser('incidents-other@example.com');
    const id = await createIncident(t, OOM, owner.token);
    const run = await analyze(t, id, { token: owner.token });
    for (const [query, variables] of [
      ['query($id: ID!) { incident(id: $id) { id } }', { id }],
      ['mutation($id: ID!) { analyzeIncident(incidentId: $id) { id } }', { id }],
      ['query($id: ID!) { analysisRun(id: $id) { id } }', { id: run.id }],
      ['mutation($id: ID!) { cancelAnalysisRun(id: $id) { id } }', { id: run.id }],
      ['mutation($id: ID!) { updateIncident(id: $id, input: { title: "x" }) { id } }', { id }],
    ] as const) {
      const response = await t.graphql(query, { variables, token: other.token });
      expect(response.errors?.[0]?.extensions?.code, query).toBe('NOT_FOUND');
    }
    const list = await t.graphql<{ incidents: { edges: unknown[] } }>('{ incidents { edges { node { id } } } }', { token: other.token });
    expect(list.data?.incidents.edges).toEqual([]);
    expect((await readRun(t, run.id)).id).toBe(run.id); // admins read everything
    await waitForRun(t, run.id, finished, 20_000);
  });
});

describe('analyzeIncident', () => {
  it('returns a queued run at once, then the local rules answer when no AI provider is active', async () => {
    const id = await createIncident(t, OOM);
    const run = await analyze(t, id);
    expect(run.status).toBe('QUEUED');
    expect(run.events.map((event) => event.seq)).toEqual([1]);
    const done = await waitForRun(t, run.id, finished);
    expect(done).toMatchObject({ status: 'SUCCEEDED', progress: 1, provider: 'LOCAL' });
    expect(expectOrderedEvents(done.events)).toBe(true);
    expect(done.events.at(-1)?.status).toBe('SUCCEEDED');
    const saved = await recommendations(id);
    expect(saved.length).toBeGreaterThan(0);
    expect(saved[0]).toMatchObject({ type: 'MEMORY', provider: 'LOCAL', isFallback: false });
  });

  it('streams the model\u2019s answer as deltas and saves its recommendations, with one usage row', async () => {
    await t.db.sql('delete from specs.usage_records');
    await activateOpenAi();
    fakes.openai.script({ text: AI_ANSWER, deltas: AI_ANSWER.match(/.{1,40}/gs)!, frameDelayMs: 5 });
    const id = await createIncident(t, OOM);
    const done = await waitForRun(t, (await analyze(t, id)).id, finished);
    expect(done).toMatchObject({ status: 'SUCCEEDED', provider: 'OPENAI', model: 'gpt-4o-mini' });
    expect(done.events.map((event) => event.delta ?? '').join('')).toBe(AI_ANSWER);
    expect(done.events.map((event) => event.stage)).toEqual(expect.arrayContaining(['queued', 'started', 'preparing', 'calling provider', 'parsing', 'saving', 'done']));
    const progress = done.events.map((event) => event.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(await recommendations(id)).toEqual([
      expect.objectContaining({ type: 'MEMORY', title: 'Raise the memory limit', priority: 'HIGH', confidence: 0.9, provider: 'OPENAI', isFallback: false }),
      expect.objectContaining({ type: 'DEPLOYMENT', actions: ['helm rollback api 41'] }),
    ]);
    const prompt = fakes.openai.requests.at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(prompt.messages.map((message) => message.content).join('\n')).toContain('api pods OOMKilled');
    // The call is recorded before its final event, so the finished run has its row: exactly one.
    const usage = () => t.db.sql<{ provider: string; model: string; status: string; streamed: boolean }>('select provider, model, status, streamed from specs.usage_records');
    expect(await usage()).toEqual([{ provider: 'OPENAI', model: 'gpt-4o-mini', status: 'SUCCEEDED', streamed: true }]);
    expect(fakes.openai.requests).toHaveLength(1);
    // And it stays one once the run is over and its recommendations have been read.
    expect(await readRun(t, done.id)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await usage()).toHaveLength(1);
  });

  it('falls back to the local rules, saying why, when the answer is garbage', async () => {
    await activateOpenAi();
    fakes.openai.script({ text: 'I am not able to help with that.' });
    const id = await createIncident(t, OOM);
    const done = await waitForRun(t, (await analyze(t, id)).id, finished);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.result).toMatchObject({ fallback: true });
    const saved = await recommendations(id);
    expect(saved[0]).toMatchObject({ isFallback: true, provider: 'OPENAI' });
    // Saying why: the fallback recommendation names the provider and what was wrong with its answer.
    expect(saved[0]?.description).toMatch(/^The answer of OpenAI could not be used: .+/);
    expect(saved.length).toBeGreaterThan(1);
    expect(saved.slice(1).every((recommendation) => recommendation.provider === 'LOCAL')).toBe(true);
  });

  it('falls back when the provider fails, and never leaks its key', async () => {
    await activateOpenAi();
    fakes.openai.failNext(...Array.from({ length: 3 }, () => ({ status: 500, body: { error: { message: `upstream broke for ${KEY}` } } })));
    const id = await createIncident(t, OOM);
    const done = await waitForRun(t, (await analyze(t, id)).id, finished);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.result).toMatchObject({ fallback: true });
    const saved = await recommendations(id);
    expect(saved[0]).toMatchObject({ isFallback: true, provider: 'OPENAI' });
    expect(saved[0]?.description).toMatch(/^OpenAI failed: /);
    expect(saved.slice(1).every((recommendation) => recommendation.provider === 'LOCAL' && !recommendation.isFallback)).toBe(true);
    expect(JSON.stringify([done, saved])).not.toContain(KEY);
  });

  it('cancels a running analysis, aborting the provider call', async () => {
    await activateOpenAi();
    fakes.openai.script({ text: AI_ANSWER, midStream: { afterDeltas: 2, mode: 'stall' } });
    const id = await createIncident(t, OOM);
    const run = await analyze(t, id);
    await waitForRun(t, run.id, (view) => view.stage === 'calling provider');
    await waitFor(() => fakes.openai.requests.length > 0, 10_000, 'the provider call');
    const cancelled = await t.graphql<{ cancelAnalysisRun: { id: string } }>('mutation($id: ID!) { cancelAnalysisRun(id: $id) { id } }', { variables: { id: run.id } });
    expect(cancelled.errors).toBeUndefined();
    const done = await waitForRun(t, run.id, finished).catch(async (error) => {
      throw new Error(`${(error as Error).message}: ${JSON.stringify(await readRun(t, run.id))}`);
    });
    expect(done.status).toBe('CANCELLED');
    expect(done.events.at(-1)).toMatchObject({ status: 'CANCELLED' });
    await fakes.openai.waitForClientDisconnect(10_000);
    expect(await recommendations(id)).toEqual([]);
    // Cancelling a finished run changes nothing.
    const again = await t.graphql<{ cancelAnalysisRun: { status: string } }>('mutation($id: ID!) { cancelAnalysisRun(id: $id) { status } }', { variables: { id: run.id } });
    expect(again.data?.cancelAnalysisRun.status).toBe('CANCELLED');
  });
});
