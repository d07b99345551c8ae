// The GraphQL clients people use, each against the real server on a real port, without adapters of ours:
// Apollo Client (HttpLink with its multipart subscriptions, GraphQLWsLink), graphql-sse (both modes),
// urql and graphql-request.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { Client as UrqlClient, fetchExchange, subscriptionExchange } from '@urql/core';
import { ClientError, GraphQLClient } from 'graphql-request';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { createSchema, createYoga } from 'graphql-yoga';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { multipartSubscriptionsPlugin } from '../../src/graphql/multipart-subscriptions.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

let t: TestApp;
let fakes: FakeLlmServers;
let base: string;
const FAKE_TEXT = 'Hello from the fake provider.';

beforeAll(async () => {
  [t, fakes] = await Promise.all([createTestApp(), startFakeLlmServers()]);
  base = `http://127.0.0.1:${await t.app.start(0, '127.0.0.1')}`;
  const configured = await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
    variables: { input: { name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-clients', isActive: true } },
  });
  expect(configured.errors).toBeUndefined();
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(() => {
  fakes.reset();
});

const ME = 'query Me { me { email role } }';
const CALL = 'mutation Call($prompt: String!) { callLlm(input: { prompt: $prompt }) { text provider cost } }';
const STREAM = 'subscription Stream($prompt: String!) { llmStream(input: { prompt: $prompt }) { delta done result { text provider } } }';
const PROGRESS = 'subscription Progress($runId: ID!) { analysisProgress(runId: $runId) { seq status progress } }';

type MeData = { me: { email: string; role: string } };
type CallData = { callLlm: { text: string; provider: string; cost: string | null } };
type StreamData = { llmStream: { delta: string | null; done: boolean; result: { text: string; provider: string } | null } };
type ProgressData = { analysisProgress: { seq: number; status: string; progress: number } };
type Result<Data> = { data?: Data | null; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };

/** A run of the local rules (no provider call): a few events, then SUCCEEDED and the end of the stream. */
async function localRun(): Promise<string> {
  const incident = await t.graphql<{ createIncident: { id: string } }>('mutation { createIncident(input: { title: "disk full", severity: LOW }) { id } }');
  const run = await t.graphql<{ analyzeIncident: { id: string } }>('mutation($id: ID!) { analyzeIncident(incidentId: $id, provider: LOCAL) { id } }', {
    variables: { id: incident.data!.createIncident.id },
  });
  return run.data!.analyzeIncident.id;
}

/** The streamed text and the final result of an llmStream, from its events in order. */
function streamed(events: StreamData[]) {
  return {
    text: events.map((event) => event.llmStream.delta ?? '').join(''),
    last: events.at(-1)?.llmStream,
    deltas: events.filter((event) => !event.llmStream.done).length,
  };
}

const expectWholeRun = (events: ProgressData[]) => {
  expect(events.length).toBeGreaterThan(2);
  expect(events.map((event) => event.analysisProgress.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events.at(-1)?.analysisProgress).toMatchObject({ status: 'SUCCEEDED', progress: 1 });
};

const bearer = (token = t.adminToken) => ({ authorization: `Bearer ${token}` });

/** A fetch that records the content type of every response, to see which transport served a request. */
function recordingFetch() {
  const contentTypes: string[] = [];
  const record: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    contentTypes.push(response.headers.get('content-type') ?? '');
    return response;
  };
  return { fetch: record, contentTypes };
}

/** Every result of an Apollo subscription until it completes; an error ends it too and is returned. */
function apolloSubscription<Data>(client: ApolloClient, query: string, variables: Record<string, unknown>) {
  return new Promise<{ results: Data[]; error?: unknown }>((resolve) => {
    const results: Data[] = [];
    client.subscribe<Data>({ query: gql(query), variables }).subscribe({
      next: (result) => {
        if (result.error) resolve({ results, error: result.error });
        else results.push(result.data as Data);
      },
      error: (error: unknown) => resolve({ results, error }),
      complete: () => resolve({ results }),
    });
  });
}

const codesOf = (error: unknown): unknown[] =>
  ((error as { errors?: { extensions?: { code?: unknown } }[] })?.errors ?? []).map((graphQLError) => graphQLError.extensions?.code);

describe('Apollo Client', () => {
  const apollo = (link: ApolloLink) => new ApolloClient({ link, cache: new InMemoryCache(), defaultOptions: { query: { fetchPolicy: 'no-cache' } } });

  it('HttpLink: a query, a mutation, and subscriptions over its multipart protocol', async () => {
    const recorder = recordingFetch();
    const client = apollo(new HttpLink({ uri: `${base}/graphql`, headers: bearer(), fetch: recorder.fetch }));
    try {
      const me = await client.query<MeData>({ query: gql(ME) });
      expect(me.error).toBeUndefined();
      expect(me.data?.me).toMatchObject({ email: 'admin@example.com', role: 'ADMIN' });

      const call = await client.mutate<CallData>({ mutation: gql(CALL), variables: { prompt: 'Say hello' } });
      expect(call.error).toBeUndefined();
      expect(call.data?.callLlm).toMatchObject({ text: FAKE_TEXT, provider: 'OPENAI' });

      fakes.openai.script({ text: FAKE_TEXT, deltas: ['Hello ', 'from the ', 'fake provider.'], frameDelayMs: 20 });
      const stream = await apolloSubscription<StreamData>(client, STREAM, { prompt: 'Say hello' });
      expect(stream.error).toBeUndefined();
      const { text, last, deltas } = streamed(stream.results);
      expect(deltas).toBe(3);
      expect(text).toBe(FAKE_TEXT);
      expect(last).toMatchObject({ done: true, result: { text: FAKE_TEXT, provider: 'OPENAI' } });

      const progress = await apolloSubscription<ProgressData>(client, PROGRESS, { runId: await localRun() });
      expect(progress.error).toBeUndefined();
      expectWholeRun(progress.results);
      // The subscriptions were answered in Apollo's multipart protocol, the query and mutation in JSON.
      expect(recorder.contentTypes.filter((type) => type.startsWith('multipart/mixed'))).toEqual([
        'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"',
        'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"',
      ]);
    } finally {
      client.stop();
    }
  });

  it('HttpLink: a subscription without a token is refused with UNAUTHENTICATED', async () => {
    const client = apollo(new HttpLink({ uri: `${base}/graphql` }));
    try {
      const { results, error } = await apolloSubscription<ProgressData>(client, PROGRESS, { runId: await localRun() });
      expect(results).toEqual([]);
      expect(codesOf(error)).toEqual(['UNAUTHENTICATED']);
    } finally {
      client.stop();
    }
  });

  it('GraphQLWsLink: a query, a mutation and a subscription over graphql-ws', async () => {
    const ws = createWsClient({ url: `${base.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: bearer() });
    const client = apollo(new GraphQLWsLink(ws));
    try {
      expect((await client.query<MeData>({ query: gql(ME) })).data?.me.email).toBe('admin@example.com');
      expect((await client.mutate<CallData>({ mutation: gql(CALL), variables: { prompt: 'Say hello' } })).data?.callLlm.text).toBe(FAKE_TEXT);
      const progress = await apolloSubscription<ProgressData>(client, PROGRESS, { runId: await localRun() });
      expect(progress.error).toBeUndefined();
      expectWholeRun(progress.results);
    } finally {
      client.stop();
      await ws.dispose();
    }
  });
});

describe('the multipart subscription processor', () => {
  // A small yoga of its own, to see heartbeats (every 25 ms here) and a source that fails mid-stream.
  let server: Server;
  let url: string;
  let released = 0;
  beforeAll(async () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const yoga = createYoga({
      schema: createSchema({
        typeDefs: 'type Query { ok: Boolean } type Subscription { ticks(count: Int!, everyMs: Int!): Int! broken: Int! }',
        resolvers: {
          Subscription: {
            ticks: {
              subscribe: async function* (_root: unknown, args: { count: number; everyMs: number }) {
                try {
                  for (let tick = 1; tick <= args.count; tick += 1) {
                    await sleep(args.everyMs);
                    yield { ticks: tick };
                  }
                } finally {
                  released += 1;
                }
              },
            },
            broken: {
              subscribe: async function* () {
                yield { broken: 1 };
                throw new Error('the source failed: secret detail');
              },
            },
          },
        },
      }),
      logging: false,
      plugins: [multipartSubscriptionsPlugin({ heartbeatMs: 25 })],
    });
    server = createServer(yoga);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (query: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json' },
      body: JSON.stringify({ query }),
    });

  it('wraps each result as {"payload": ...} between heartbeats, and closes the body', async () => {
    const body = await (await post('subscription { ticks(count: 3, everyMs: 80) }')).text();
    const parts = body.split('\r\n--graphql').slice(1, -1);
    expect(body.endsWith('\r\n--graphql--\r\n')).toBe(true);
    const jsons = parts.map((part) => {
      const [headers, json] = part.split('\r\n\r\n');
      expect(headers!.trim().toLowerCase()).toBe('content-type: application/json; charset=utf-8');
      return JSON.parse(json!) as unknown;
    });
    expect(jsons.filter((json) => JSON.stringify(json) !== '{}')).toEqual([1, 2, 3].map((tick) => ({ payload: { data: { ticks: tick } } })));
    expect(jsons.filter((json) => JSON.stringify(json) === '{}').length).toBeGreaterThan(2);
  });

  it('lets Apollo Client read through the heartbeats; a failed source ends with a masked error', async () => {
    const client = new ApolloClient({ link: new HttpLink({ uri: url }), cache: new InMemoryCache() });
    try {
      const ticks = await apolloSubscription<{ ticks: number }>(client, 'subscription { ticks(count: 3, everyMs: 60) }', {});
      expect(ticks).toEqual({ results: [{ ticks: 1 }, { ticks: 2 }, { ticks: 3 }] });
      const broken = await apolloSubscription<{ broken: number }>(client, 'subscription { broken }', {});
      expect(broken.results).toEqual([{ broken: 1 }]);
      expect(codesOf(broken.error)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(JSON.stringify(broken.error)).not.toContain('secret detail');
    } finally {
      client.stop();
    }
  });

  it('ends the subscription on the server when the client leaves (Apollo unsubscribing aborts the request)', async () => {
    const before = released;
    const client = new ApolloClient({ link: new HttpLink({ uri: url }), cache: new InMemoryCache() });
    try {
      const first = await new Promise<{ unsubscribe(): void }>((resolve) => {
        const subscription = client.subscribe({ query: gql('subscription { ticks(count: 1000, everyMs: 20) }') }).subscribe({
          next: () => resolve(subscription),
        });
      });
      first.unsubscribe();
      await expect.poll(() => released, { timeout: 5_000 }).toBe(before + 1);
    } finally {
      client.stop();
    }
  });

  it('leaves a subscription asked without the protocol to yoga (SSE), and queries to JSON', async () => {
    const sse = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream, multipart/mixed' },
      body: JSON.stringify({ query: 'subscription { ticks(count: 1, everyMs: 1) }' }),
    });
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    expect(await sse.text()).toContain('"ticks":1');
    const query = await post('{ ok }');
    expect(query.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('graphql-sse', () => {
  const sseClient = (singleConnection: boolean, token: string | null = t.adminToken): ReturnType<typeof createSseClient> =>
    createSseClient({ url: `${base}/graphql/stream`, singleConnection, retryAttempts: 0, headers: token ? bearer(token) : {} });

  async function all<Data>(client: ReturnType<typeof createSseClient>, query: string, variables: Record<string, unknown> = {}): Promise<Result<Data>[]> {
    const results: Result<Data>[] = [];
    for await (const result of client.iterate<Data>({ query, variables })) results.push(result as Result<Data>);
    return results;
  }

  for (const singleConnection of [false, true]) {
    const mode = singleConnection ? 'single connection mode' : 'distinct connections mode';

    it(`${mode}: a query, a mutation and subscriptions with the Authorization header`, async () => {
      const client = sseClient(singleConnection);
      try {
        const [me] = await all<MeData>(client, ME);
        expect(me?.data?.me.email).toBe('admin@example.com');
        const [call] = await all<CallData>(client, CALL, { prompt: 'Say hello' });
        expect(call?.data?.callLlm.text).toBe(FAKE_TEXT);
        fakes.openai.script({ text: FAKE_TEXT, deltas: ['Hello ', 'from the ', 'fake provider.'], frameDelayMs: 10 });
        const [stream, progress] = await Promise.all([
          all<StreamData>(client, STREAM, { prompt: 'Say hello' }),
          all<ProgressData>(client, PROGRESS, { runId: await localRun() }),
        ]);
        expect(streamed(stream.map((result) => result.data!))).toMatchObject({ text: FAKE_TEXT, deltas: 3, last: { done: true } });
        expectWholeRun(progress.map((result) => result.data!));
      } finally {
        client.dispose();
      }
    });
  }

  it('single connection mode reserves a stream with PUT, then streams; without a valid token the reservation is refused', async () => {
    const reserved = await fetch(`${base}/graphql/stream`, { method: 'PUT', headers: bearer() });
    expect(reserved.status).toBe(201);
    expect(await reserved.text()).toMatch(/^[0-9a-f-]{36}$/);

    for (const headers of [{}, { authorization: 'Bearer agora_not-a-token' }] as Record<string, string>[]) {
      const refused = await fetch(`${base}/graphql/stream`, { method: 'PUT', headers });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await refused.json()) as Result<never>).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const client = sseClient(true, null);
    try {
      await expect(all<MeData>(client, ME)).rejects.toMatchObject({ response: { status: 401 } });
    } finally {
      client.dispose();
    }
  });

  it('distinct connections mode: refusals are results with the codes of /graphql (no token, a bad document)', async () => {
    const anonymous = sseClient(false, null);
    const signedIn = sseClient(false);
    try {
      const [me] = await all<MeData>(anonymous, ME);
      expect(me?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      // A subscription refused before it starts (the plugin alone answered 400 "Unable to detect operation AST").
      const progress = await all<ProgressData>(anonymous, PROGRESS, { runId: await localRun() });
      expect(progress).toEqual([{ data: null, errors: [expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })] }]);
      // A document that does not validate, and one that does not parse (the plugin alone: a 500 with a stack trace).
      for (const query of ['{ me { emial } }', '{ me {']) {
        const results = await all<MeData>(signedIn, query);
        expect(results).toEqual([{ data: null, errors: [expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } })] }]);
      }
    } finally {
      anonymous.dispose();
      signedIn.dispose();
    }
  });
});

describe('urql', () => {
  /** Results of an urql subscription until the stream says it is done (a terminal run, a final chunk). */
  function urqlUntil<Data>(client: UrqlClient, query: string, variables: Record<string, unknown>, last: (data: Data) => boolean) {
    return new Promise<Result<Data>[]>((resolve) => {
      const results: Result<Data>[] = [];
      const { unsubscribe } = client.subscription<Data>(query, variables).subscribe((result) => {
        results.push({ data: result.data, errors: result.error?.graphQLErrors });
        if (result.error || (result.data && last(result.data))) {
          queueMicrotask(() => unsubscribe());
          resolve(results);
        }
      });
    });
  }
  const terminal = (data: ProgressData) => data.analysisProgress.status === 'SUCCEEDED';

  it('a query and a mutation over fetch, subscriptions over its fetch subscriptions (SSE)', async () => {
    const client = new UrqlClient({ url: `${base}/graphql`, exchanges: [fetchExchange], fetchSubscriptions: true, fetchOptions: { headers: bearer() }, requestPolicy: 'network-only' });
    const me = await client.query<MeData>(ME, {}).toPromise();
    expect(me.error).toBeUndefined();
    expect(me.data?.me.email).toBe('admin@example.com');
    const call = await client.mutation<CallData>(CALL, { prompt: 'Say hello' }).toPromise();
    expect(call.data?.callLlm.text).toBe(FAKE_TEXT);
    const progress = await urqlUntil<ProgressData>(client, PROGRESS, { runId: await localRun() }, terminal);
    expectWholeRun(progress.map((result) => result.data!));
  });

  it('subscriptions over graphql-ws with subscriptionExchange', async () => {
    const ws = createWsClient({ url: `${base.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: bearer() });
    const client = new UrqlClient({
      url: `${base}/graphql`,
      fetchOptions: { headers: bearer() },
      exchanges: [
        fetchExchange,
        subscriptionExchange({
          forwardSubscription: (request) => ({
            subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
          }),
        }),
      ],
    });
    try {
      fakes.openai.script({ text: FAKE_TEXT, deltas: ['Hello ', 'from the ', 'fake provider.'], frameDelayMs: 10 });
      const stream = await urqlUntil<StreamData>(client, STREAM, { prompt: 'Say hello' }, (data) => data.llmStream.done);
      expect(streamed(stream.map((result) => result.data!))).toMatchObject({ text: FAKE_TEXT, deltas: 3 });
      const progress = await urqlUntil<ProgressData>(client, PROGRESS, { runId: await localRun() }, terminal);
      expectWholeRun(progress.map((result) => result.data!));
    } finally {
      await ws.dispose();
    }
  });

  it('reports UNAUTHENTICATED without a token', async () => {
    const client = new UrqlClient({ url: `${base}/graphql`, exchanges: [fetchExchange], fetchSubscriptions: true });
    const me = await client.query<MeData>(ME, {}).toPromise();
    expect(me.error?.graphQLErrors.map((error) => error.extensions.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('graphql-request', () => {
  it('a query and a mutation with the Authorization header', async () => {
    const client = new GraphQLClient(`${base}/graphql`, { headers: bearer() });
    expect((await client.request<MeData>(ME)).me).toMatchObject({ email: 'admin@example.com', role: 'ADMIN' });
    expect((await client.request<CallData>(CALL, { prompt: 'Say hello' })).callLlm).toMatchObject({ text: FAKE_TEXT, provider: 'OPENAI' });
  });

  it('raises a ClientError carrying UNAUTHENTICATED without a token, also for a GET', async () => {
    for (const method of ['POST', 'GET'] as const) {
      const client = new GraphQLClient(`${base}/graphql`, { method });
      const error = await client.request(ME).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ClientError);
      expect((error as ClientError).response.errors?.map((graphQLError) => graphQLError.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    }
  });
});
