import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { collect, wsClient } from '../support/ws-client.ts';

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await createTestApp();
  const port = await t.app.start(0, '127.0.0.1');
  url = `ws://127.0.0.1:${port}/graphql`;
});
afterAll(async () => {
  await t.close();
});

type Ping = { data?: { analysisProgress: { seq: number; at: string } }; errors?: { extensions?: { code?: string } }[] };

// The transports, checked with the simplest real subscription: the progress of a local-rules analysis.
const PROGRESS = 'subscription($runId: ID!) { analysisProgress(runId: $runId) { seq at } }';
async function localRun(): Promise<string> {
  const incident = await t.graphql<{ createIncident: { id: string } }>('mutation { createIncident(input: { title: "disk full", severity: LOW }) { id } }');
  const run = await t.graphql<{ analyzeIncident: { id: string } }>('mutation($id: ID!) { analyzeIncident(incidentId: $id) { id } }', {
    variables: { id: incident.data!.createIncident.id },
  });
  return run.data!.analyzeIncident.id;
}

describe('subscriptions over WebSocket (graphql-transport-ws)', () => {
  it('streams every event to a client with a token in connectionParams, then completes', async () => {
    const client = wsClient(url, t.adminToken);
    const results = await collect<Ping>(client, PROGRESS, { runId: await localRun() });
    await client.dispose();
    expect(results.length).toBeGreaterThan(2);
    expect(results.map((result) => result.data?.analysisProgress.seq)).toEqual(results.map((_, i) => i + 1));
    expect(Date.parse(results[0]!.data!.analysisProgress.at)).not.toBeNaN();
  });

  it('refuses a subscription without a token with UNAUTHENTICATED', async () => {
    const client = wsClient(url, null);
    const results = await collect<Ping>(client, PROGRESS, { runId: await localRun() }).catch((errors: unknown) => [
      { errors } as Ping,
    ]);
    await client.dispose();
    const errors = (Array.isArray(results[0]?.errors) ? results[0]!.errors : []) as { extensions?: { code?: string } }[];
    expect(errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(results.some((result) => result.data?.analysisProgress)).toBe(false);
  });

  it('answers queries and mutations over the same socket with the same context', async () => {
    const client = wsClient(url, t.adminToken);
    const results = await collect<{ data: { me: { email: string } } }>(client, '{ me { email } }');
    await client.dispose();
    expect(results[0]?.data.me.email).toBe('admin@example.com');
  });
});

describe('subscriptions over Server-Sent Events', () => {
  it('streams the events as text/event-stream and completes', async () => {
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: {
        accept: 'text/event-stream',
        'content-type': 'application/json',
        authorization: `Bearer ${t.adminToken}`,
      },
      body: JSON.stringify({ query: PROGRESS, variables: { runId: await localRun() } }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const events = text
      .split('\n\n')
      .filter((block) => block.includes('event: next'))
      .map((block) => JSON.parse(block.split('data: ')[1]!) as Ping);
    expect(events.length).toBeGreaterThan(2);
    expect(events.map((event) => event.data?.analysisProgress.seq)).toEqual(events.map((_, i) => i + 1));
    expect(text).toContain('event: complete');
  });

  it('refuses an SSE subscription without a token', async () => {
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ query: PROGRESS, variables: { runId: await localRun() } }),
    });
    const text = await response.text();
    expect(text).toContain('UNAUTHENTICATED');
    expect(text).not.toContain('"seq"');
  });
});
