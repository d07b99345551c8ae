// GraphiQL over WebSocket: its connection_init is empty and every subscribe message carries the Headers
// tab in `payload.extensions.headers`. A graphql-ws client that does the same stands in for the page.
import { buildSchema, type OperationDefinitionNode, parse, validate } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { GRAPHIQL_WELCOME } from '../../src/app.ts';
import { AI_ANSWER, createIncident, analyze } from '../support/analysis.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

let t: TestApp;
let fakes: FakeLlmServers;
let base: string;
let wsUrl: string;

beforeAll(async () => {
  [t, fakes] = await Promise.all([createTestApp(), startFakeLlmServers()]);
  base = `http://127.0.0.1:${await t.app.start(0, '127.0.0.1')}`;
  wsUrl = `${base.replace('http', 'ws')}/graphql`;
  await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
    variables: { input: { name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-graphiql', isActive: true } },
  });
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(() => {
  fakes.reset();
});

type Result<Data> = { data?: Data | null; errors?: { message: string; extensions?: { code?: string } }[] };
type ProgressEvent = { seq: number; stage: string; status: string; progress: number; delta: string | null };
const PROGRESS = 'subscription($runId: ID!) { analysisProgress(runId: $runId) { seq stage status progress delta } }';

/** A client as GraphiQL opens it: nothing in connection_init (graphql-ws sends `{}`-less init). */
function graphiqlClient(connectionParams?: Record<string, unknown>): Client {
  return createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, ...(connectionParams ? { connectionParams } : {}) });
}

/** Runs one operation to its end with the given headers in the subscribe message, as GraphiQL sends its Headers tab. */
async function run<Data>(client: Client, query: string, headers: Record<string, string> | undefined, variables?: Record<string, unknown>): Promise<Result<Data>[]> {
  const results: Result<Data>[] = [];
  try {
    for await (const result of client.iterate({ query, variables, extensions: headers ? { headers } : undefined })) results.push(result as Result<Data>);
  } catch (errors) {
    // graphql-ws rejects with the error list when the server answers the subscribe with an error message.
    results.push({ errors: errors as Result<Data>['errors'] });
  }
  return results;
}

async function localRun(): Promise<string> {
  return (await analyze(t, await createIncident(t, { title: 'disk full', severity: 'LOW' }), { provider: 'LOCAL' })).id;
}

const codeOf = (results: Result<unknown>[]) => results[0]?.errors?.[0]?.extensions?.code;

describe('GraphiQL subscriptions over WebSocket', () => {
  it('streams a subscription authenticated by the Headers tab in the subscribe payload', async () => {
    const client = graphiqlClient();
    try {
      const events = await run<{ analysisProgress: ProgressEvent }>(client, PROGRESS, { Authorization: `Bearer ${t.adminToken}` }, { runId: await localRun() });
      expect(events.length).toBeGreaterThan(2);
      expect(events.every((event) => event.errors === undefined)).toBe(true);
      expect(events.map((event) => event.data!.analysisProgress.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.at(-1)?.data?.analysisProgress.status).toBe('SUCCEEDED');
    } finally {
      await client.dispose();
    }
  });

  it('reads the header per operation, in any case: two users on one socket each see themselves', async () => {
    const member = await t.createUser('graphiql-member@example.com');
    const client = graphiqlClient();
    try {
      const [admin, asMember, upper] = await Promise.all([
        run<{ me: { email: string } }>(client, '{ me { email } }', { authorization: `Bearer ${t.adminToken}` }),
        run<{ me: { email: string } }>(client, '{ me { email } }', { Authorization: `Bearer ${member.token}` }),
        run<{ me: { email: string } }>(client, '{ me { email } }', { AUTHORIZATION: `Bearer ${member.token}` }),
      ]);
      expect(admin).toEqual([{ data: { me: { email: 'admin@example.com' } } }]);
      expect(asMember).toEqual([{ data: { me: { email: 'graphiql-member@example.com' } } }]);
      expect(upper).toEqual([{ data: { me: { email: 'graphiql-member@example.com' } } }]);
      // The next operation on the same socket without the header is anonymous again.
      expect(codeOf(await run(client, '{ me { email } }', undefined))).toBe('UNAUTHENTICATED');
    } finally {
      await client.dispose();
    }
  });

  it('applies the same checks: no token, the placeholder, a malformed and an unknown token are UNAUTHENTICATED', async () => {
    const client = graphiqlClient();
    const runId = await localRun();
    try {
      const none = await run(client, PROGRESS, {}, { runId });
      expect(codeOf(none)).toBe('UNAUTHENTICATED');
      expect(none[0]?.errors?.[0]?.message).toMatch(/Authorization: Bearer/);
      const placeholder = await run(client, PROGRESS, { Authorization: 'Bearer <token>' }, { runId });
      expect(codeOf(placeholder)).toBe('UNAUTHENTICATED');
      const malformed = await run(client, PROGRESS, { Authorization: 'Token abc' }, { runId });
      expect(malformed[0]?.errors?.[0]?.message).toMatch(/must be "Bearer <token>"/);
      const unknown = await run(client, PROGRESS, { Authorization: `Bearer agora_${'A'.repeat(43)}` }, { runId });
      expect(unknown[0]?.errors?.[0]?.message).toMatch(/invalid, expired or revoked/);
      for (const results of [none, placeholder, malformed, unknown]) expect(results.some((result) => result.data)).toBe(false);
    } finally {
      await client.dispose();
    }
  });

  it('prefers connectionParams (graphql-ws clients) over the subscribe payload', async () => {
    const member = await t.createUser('graphiql-params@example.com');
    const client = graphiqlClient({ authorization: `Bearer ${member.token}` });
    try {
      const results = await run<{ me: { email: string } }>(client, '{ me { email } }', { Authorization: `Bearer ${t.adminToken}` });
      expect(results).toEqual([{ data: { me: { email: 'graphiql-params@example.com' } } }]);
    } finally {
      await client.dispose();
    }
  });

  it('shows an AI analysis whose progress moves while the model streams, rounded to 4 decimals', async () => {
    // About 300 characters in 20-character frames, 30 ms apart: several delta events during the call.
    fakes.openai.script({ text: AI_ANSWER, deltas: AI_ANSWER.match(/.{1,20}/gs)!, frameDelayMs: 30 });
    const client = graphiqlClient();
    try {
      const run_ = await analyze(t, await createIncident(t, { title: 'api pods OOM-killed', severity: 'HIGH' }), { provider: 'OPENAI' });
      const events = (await run<{ analysisProgress: ProgressEvent }>(client, PROGRESS, { Authorization: `Bearer ${t.adminToken}` }, { runId: run_.id })).map(
        (result) => result.data!.analysisProgress,
      );
      expect(events.at(-1)).toMatchObject({ status: 'SUCCEEDED', progress: 1 });
      expect(events.map((event) => event.delta ?? '').join('')).toBe(AI_ANSWER);
      for (const event of events) expect(String(event.progress)).toMatch(/^(0|1)(\.\d{1,4})?$/);
      const calling = events.find((event) => event.stage === 'calling provider')!;
      const parsing = events.find((event) => event.stage === 'parsing')!;
      const duringCall = events.filter((event) => event.seq > calling.seq && event.seq < parsing.seq);
      expect(duringCall.length).toBeGreaterThan(2);
      expect(duringCall.every((event) => event.delta)).toBe(true);
      // Each delta event moves the bar (never back), from past the call's start to below the parsing stage.
      const values = [calling.progress, ...duringCall.map((event) => event.progress), parsing.progress];
      for (let i = 1; i < values.length; i += 1) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
    } finally {
      await client.dispose();
    }
  });
});

describe('the GraphiQL page', () => {
  it('says what Agora is and offers a query, a call and a subscription that the schema accepts', async () => {
    const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    // The options are embedded in the page as JSON.
    expect(html).toContain(JSON.stringify(GRAPHIQL_WELCOME).slice(1, -1));
    expect(html).toContain('"subscriptionsProtocol":"WS"');
    expect(GRAPHIQL_WELCOME).toMatch(/^# Welcome to Agora/);

    const document = parse(GRAPHIQL_WELCOME);
    const schema = buildSchema(readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'));
    expect(validate(schema, document)).toEqual([]);
    const operations = document.definitions as OperationDefinitionNode[];
    expect(operations.map((operation) => operation.operation)).toEqual(['query', 'mutation', 'subscription']);
    expect(JSON.stringify(operations[1])).toContain('"callLlm"');
  });
});
