import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../../src/modules/auth/auth.service.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../../support/fake-llm/fake-llm-servers.ts';
import { startGateway } from '../../support/gateway-process.ts';
import { waitFor } from '../../support/process.ts';

// SIGTERM with live streams: the gateway stops accepting, lets calls in flight finish for
// SHUTDOWN_GRACE_SECONDS, then ends each one with a terminal error event and records it; then it exits 0.
let fakes: FakeLlmServers;
let db: TestDatabase;
let token: string;

beforeAll(async () => {
  [fakes, db] = await Promise.all([startFakeLlmServers(), createTestDatabase()]);
  token = (await new AuthService(db.orm.em.fork()).createUser({ email: 'shutdown@example.com', role: 'ADMIN' })).token;
}, 120_000);
afterAll(async () => {
  await Promise.all([db?.drop(), fakes?.close()]);
});

type Event = { data?: { llmStream: { delta: string | null; done: boolean } }; errors?: { message: string; extensions?: { code?: string } }[] };

function stream(url: string, provider: string): Promise<Event[]> {
  return fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: `subscription { llmStream(input: { prompt: "Tell a story", maxTokens: 500, provider: ${provider} }) { delta done } }` }),
  })
    .then((response) => response.text())
    .then((text) =>
      text
        .split('\n')
        .filter((line) => line.startsWith('data: ') && line !== 'data: ')
        .map((line) => JSON.parse(line.slice(6)) as Event),
    );
}

describe('shutdown with live streams', () => {
  it('lets a stream that ends within the grace period finish, ends a longer one with an error event, records both, and exits 0', async () => {
    const gateway = await startGateway({ DATABASE_URL: db.url, WORKERS: 'false', SHUTDOWN_GRACE_SECONDS: '3' }, token);
    for (const [name, provider] of [
      ['openai', 'OPENAI'],
      ['claude', 'CLAUDE'],
    ] as const) {
      const configured = await gateway.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
        variables: { input: { name, provider, config: { baseUrl: fakes.baseUrls[provider] }, apiKey: 'sk-shutdown-0000' } },
      });
      expect(configured.errors).toBeUndefined();
    }
    // OpenAI: 40 deltas 300 ms apart (12 s, past the grace); Claude: 5 deltas 100 ms apart.
    fakes.openai.script({ text: 'word '.repeat(40), frameDelayMs: 300 });
    fakes.claude.script({ text: 'short story told quickly here', frameDelayMs: 100 });
    const long = stream(gateway.url, 'OPENAI');
    const short = stream(gateway.url, 'CLAUDE');
    await waitFor(() => fakes.openai.requests.length > 0 && fakes.claude.requests.length > 0, 20_000, 'both provider calls');

    const exitCode = gateway.stop();
    const [longEvents, shortEvents] = await Promise.all([long, short]);
    expect(await exitCode).toBe(0);

    // The short stream finished normally within the grace period.
    expect(shortEvents.at(-1)?.data?.llmStream.done).toBe(true);
    expect(shortEvents.flatMap((event) => event.errors ?? [])).toEqual([]);
    // The long one got part of its text, then a terminal error saying to retry.
    const deltas = longEvents.filter((event) => event.data?.llmStream.delta).length;
    expect(deltas).toBeGreaterThan(0);
    expect(deltas).toBeLessThan(40);
    const last = longEvents.at(-1)!;
    expect(last.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(last.errors?.[0]?.message).toContain('shutting down');

    const rows = await db.sql<{ provider: string; status: string; error_class: string | null }>('select provider, status, error_class from specs.usage_records order by provider');
    expect(rows).toEqual([
      { provider: 'CLAUDE', status: 'SUCCEEDED', error_class: null },
      { provider: 'OPENAI', status: 'CANCELLED', error_class: 'SHUTDOWN' },
    ]);
    expect(gateway.output()).not.toMatch(/"level":(50|60)/);
  }, 120_000);
});
