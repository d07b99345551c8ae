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

type Ping = { data?: { ping: { seq: number; at: string } }; errors?: { extensions?: { code?: string } }[] };

describe('subscriptions over WebSocket (graphql-transport-ws)', () => {
  it('streams every event to a client with a token in connectionParams, then completes', async () => {
    const client = wsClient(url, t.adminToken);
    const results = await collect<Ping>(client, 'subscription { ping(count: 3, intervalMs: 10) { seq at } }');
    await client.dispose();
    expect(results.map((result) => result.data?.ping.seq)).toEqual([1, 2, 3]);
    expect(Date.parse(results[0]!.data!.ping.at)).not.toBeNaN();
  });

  it('refuses a subscription without a token with UNAUTHENTICATED', async () => {
    const client = wsClient(url, null);
    const results = await collect<Ping>(client, 'subscription { ping(count: 1) { seq } }').catch((errors: unknown) => [
      { errors } as Ping,
    ]);
    await client.dispose();
    const errors = (Array.isArray(results[0]?.errors) ? results[0]!.errors : []) as { extensions?: { code?: string } }[];
    expect(errors[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(results.some((result) => result.data?.ping)).toBe(false);
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
      body: JSON.stringify({ query: 'subscription { ping(count: 2, intervalMs: 5) { seq } }' }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const events = text
      .split('\n\n')
      .filter((block) => block.includes('event: next'))
      .map((block) => JSON.parse(block.split('data: ')[1]!) as Ping);
    expect(events.map((event) => event.data?.ping.seq)).toEqual([1, 2]);
    expect(text).toContain('event: complete');
  });

  it('refuses an SSE subscription without a token', async () => {
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'subscription { ping(count: 1) { seq } }' }),
    });
    const text = await response.text();
    expect(text).toContain('UNAUTHENTICATED');
    expect(text).not.toContain('"seq"');
  });
});
