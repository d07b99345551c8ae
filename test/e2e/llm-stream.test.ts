import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { waitFor } from '../support/process.ts';
import { collect, wsClient } from '../support/ws-client.ts';

let t: TestApp;
let fakes: FakeLlmServers;
let wsUrl: string;
const KEY = 'sk-stream-key-cccc3333';

beforeAll(async () => {
  [t, fakes] = await Promise.all([createTestApp(), startFakeLlmServers()]);
  wsUrl = `ws://127.0.0.1:${await t.app.start(0, '127.0.0.1')}/graphql`;
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.intelligence_providers');
  await t.db.sql('delete from specs.usage_records');
  await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
    variables: { input: { name: 'claude', provider: 'CLAUDE', config: { baseUrl: fakes.baseUrls.CLAUDE }, apiKey: KEY, isActive: true } },
  });
});

const STREAM = 'subscription($input: CallLlmInput!) { llmStream(input: $input) { delta done result { text provider inputTokens outputTokens cost } } }';
type Event = { data?: { llmStream: { delta: string | null; done: boolean; result: { text: string; inputTokens: number | null; cost: string } | null } }; errors?: unknown[] };

const usageRows = () => t.db.sql<{ status: string; streamed: boolean; input_tokens: number | null }>('select * from specs.usage_records');

describe('llmStream', () => {
  it('streams deltas then a final result over WebSocket, and records one streamed usage row', async () => {
    const client = wsClient(wsUrl, t.adminToken);
    const events = await collect<Event>(client, STREAM, { input: { prompt: 'Say hello' } });
    await client.dispose();
    const deltas = events.filter((event) => !event.data?.llmStream.done).map((event) => event.data?.llmStream.delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Hello from the fake provider.');
    const last = events.at(-1)!.data!.llmStream;
    expect(last).toMatchObject({ done: true, delta: null, result: { text: 'Hello from the fake provider.', inputTokens: 12 } });
    // Recorded before the final event, so the completed stream has its row: exactly one, for one provider call.
    const rows = await usageRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'SUCCEEDED', streamed: true, input_tokens: 12 });
    expect(fakes.claude.requests).toHaveLength(1);
  });

  it('streams over Server-Sent Events too', async () => {
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query: STREAM, variables: { input: { prompt: 'Say hello' } } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await response.text();
    const events = text
      .split('\n\n')
      .filter((block) => block.startsWith('event: next'))
      .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Event);
    expect(events.map((event) => event.data?.llmStream.delta ?? '').join('')).toBe('Hello from the fake provider.');
    expect(events.at(-1)?.data?.llmStream.done).toBe(true);
    expect(events.at(-1)?.data?.llmStream.result).toMatchObject({ text: 'Hello from the fake provider.', inputTokens: 12 });
    expect(events.slice(0, -1).every((event) => event.data?.llmStream.done === false)).toBe(true);
  });

  it('turns a mid-stream provider error into a GraphQL error after the deltas already sent, recorded once', async () => {
    fakes.claude.script({ midStream: { afterDeltas: 2, mode: 'error-event' } });
    const client = wsClient(wsUrl, t.adminToken);
    const events: Event[] = [];
    await new Promise<void>((resolve) => {
      client.subscribe<Event['data']>(
        { query: STREAM, variables: { input: { prompt: 'Say hello' } } },
        {
          next: (value) => events.push(value as Event),
          error: (errors) => {
            events.push({ errors: errors as unknown[] });
            resolve();
          },
          complete: resolve,
        },
      );
    });
    await client.dispose();
    expect(events.filter((event) => event.data?.llmStream.delta)).toHaveLength(2);
    expect(JSON.stringify(events.at(-1))).toContain('PROVIDER_ERROR');
    expect(JSON.stringify(events)).not.toContain(KEY);
    const rows = await usageRows();
    expect(rows.map((row) => row.status)).toEqual(['FAILED']);
  });

  it('aborts the provider request when the client goes away, and records the call as cancelled', async () => {
    fakes.claude.script({ midStream: { afterDeltas: 1, mode: 'stall' } });
    const client = wsClient(wsUrl, t.adminToken);
    const received: Event[] = [];
    const unsubscribe = client.subscribe<Event['data']>(
      { query: STREAM, variables: { input: { prompt: 'Say hello' } } },
      { next: (value) => received.push(value as Event), error: () => {}, complete: () => {} },
    );
    await waitFor(() => received.length > 0, 10_000, 'the first delta');
    unsubscribe();
    await fakes.claude.waitForClientDisconnect(10_000);
    expect(fakes.claude.clientDisconnects).toBeGreaterThan(0);
    await waitFor(async () => (await usageRows()).length > 0, 10_000, 'the usage row');
    // The row is the last thing the stream does (in its finally): once it is there, the stream is over.
    expect(await usageRows()).toEqual([expect.objectContaining({ status: 'CANCELLED', streamed: true })]);
    await client.dispose();
    // Still one row once the client is gone, for the one provider request.
    expect(await usageRows()).toHaveLength(1);
    expect(fakes.claude.requests).toHaveLength(1);
  });

  it('aborts a callLlm provider request when the HTTP client disconnects', async () => {
    fakes.claude.script({ delayMs: 30_000 });
    const client = new AbortController();
    const pending = fetch(wsUrl.replace('ws://', 'http://'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query: 'mutation AbortedCall { callLlm(input: { prompt: "hi" }) { text } }' }),
      signal: client.signal,
    }).catch(() => null);
    await waitFor(() => fakes.claude.requests.length > 0, 10_000, 'the provider request');
    client.abort();
    expect(await pending).toBeNull();
    await fakes.claude.waitForClientDisconnect(10_000);
    await waitFor(async () => (await usageRows()).length > 0, 10_000, 'the usage row');
    expect(await usageRows()).toEqual([expect.objectContaining({ status: 'CANCELLED', streamed: false })]);
    // The request's log line is written when its response is: by then callLlm has returned, so nothing
    // more will be recorded for it. Still exactly one row, for the one provider request.
    await waitFor(() => t.logs.some((line) => line.includes('"operationName":"AbortedCall"')), 10_000, 'the request to end');
    expect(await usageRows()).toHaveLength(1);
    expect(fakes.claude.requests).toHaveLength(1);
  });

  it('ends a stream that goes silent for longer than timeoutMs, and records it as failed', async () => {
    await t.db.sql('delete from specs.intelligence_providers');
    await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
      variables: { input: { name: 'slow-claude', provider: 'CLAUDE', config: { baseUrl: fakes.baseUrls.CLAUDE, timeoutMs: 300 }, apiKey: KEY, isActive: true } },
    });
    fakes.claude.script({ midStream: { afterDeltas: 1, mode: 'stall' } });
    const client = wsClient(wsUrl, t.adminToken);
    const outcome = await collect<Event>(client, STREAM, { input: { prompt: 'Say hello' } }).catch((errors: unknown) => errors);
    await client.dispose();
    expect(JSON.stringify(outcome)).toContain('stopped sending');
    await fakes.claude.waitForClientDisconnect(10_000);
    await waitFor(async () => (await usageRows()).length > 0, 10_000, 'the usage row');
    const rows = await t.db.sql<{ status: string; error_class: string }>('select status, error_class from specs.usage_records');
    expect(rows).toEqual([{ status: 'FAILED', error_class: 'TIMEOUT' }]);
    // The stream has ended (the client saw its error): still exactly that one row.
    expect(await usageRows()).toHaveLength(1);
  });

  it('refuses the local provider and an unauthenticated client', async () => {
    await t.graphql('mutation { deactivateIntelligenceProvider }');
    const client = wsClient(wsUrl, t.adminToken);
    const local = await collect<Event>(client, STREAM, { input: { prompt: 'hi' } }).catch((errors: unknown) => [{ errors } as Event]);
    expect(JSON.stringify(local)).toContain('BAD_USER_INPUT');
    await client.dispose();
    const anonymous = wsClient(wsUrl, null);
    const refused = await collect<Event>(anonymous, STREAM, { input: { prompt: 'hi' } }).catch((errors: unknown) => [{ errors } as Event]);
    expect(JSON.stringify(refused)).toContain('UNAUTHENTICATED');
    await anonymous.dispose();
    // Refused before any provider call: nothing sent, nothing recorded.
    expect(fakes.claude.requests).toHaveLength(0);
    expect(await usageRows()).toHaveLength(0);
  });
});
