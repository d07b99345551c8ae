// The transport rules beside the abusive document set (test/e2e/abuse/transports.test.ts): bodies
// counted as read on every route, CORS, the WebSocket connection_init rule, subscriptions that end when
// their token is revoked, the paid-operations cap, input no one may send on /v1, and input errors that
// never quote a secret.
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { createYoga } from 'graphql-yoga';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPubSubHandle } from '../../src/events/pubsub.ts';
import { buildContext } from '../../src/graphql/context.ts';
import { PAID_OPERATIONS } from '../../src/graphql/plugins.ts';
import { buildSchema } from '../../src/graphql/schema.ts';
import { subscriptionRevocationPlugin } from '../../src/http/subscription-revocation.ts';
import { authorizationOf, type InitialContext } from '../../src/http/authorization.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { redisTest } from '../support/redis.ts';

type ErrorJson = { message: string; extensions?: { code?: string } & Record<string, unknown> };
type Result<Data = Record<string, unknown>> = { data?: Data | null; errors?: ErrorJson[] };

// Workers off: an analysis run stays QUEUED, so a subscription to its progress stays open until it is ended.
let t: TestApp;
let port: number;
let base: string;

beforeAll(async () => {
  t = await createTestApp({ WORKERS: 'false' });
  port = await t.app.start(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await t.close();
});

/**
 * A POST whose body is `head`, then `fillBytes` bytes of "a" written in 64 KiB chunks, then `tail`, with no
 * Content-Length (Transfer-Encoding: chunked). Writing stops once the server has answered.
 */
function chunkedPost(path: string, headers: Record<string, string>, head: string, fillBytes: number, tail: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', ...headers } });
    request.on('response', (response) => {
      answered = true;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, text });
        request.destroy();
      });
    });
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const write = async () => {
      request.write(head);
      for (let written = 0; written < fillBytes && !answered; written += chunk.length) {
        if (!request.write(chunk.subarray(0, Math.min(chunk.length, fillBytes - written)))) await new Promise((drained) => request.once('drain', drained));
      }
      if (!answered) request.end(tail);
    };
    write().catch(reject);
  });
}

const TEN_MB = 10 * 1024 * 1024;
const CREATE_INCIDENT = 'mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id title } }';
const incidentBody = (title: string) => [`{"query":${JSON.stringify(CREATE_INCIDENT)},"variables":{"input":{"title":${JSON.stringify(title)},"description":"`, '"}}}'] as const;

async function incidentsTitled(title: string): Promise<number> {
  const [row] = await t.db.sql<{ count: string }>('select count(*)::text as count from specs.incidents where title = $1', [title]);
  return Number(row?.count);
}

describe('the request body limit, counted as read', () => {
  const bearer = () => ({ authorization: `Bearer ${t.adminToken}` });

  it('answers a chunked 10 MB GraphQL request 413 with BAD_USER_INPUT, and stores nothing', async () => {
    const [head, tail] = incidentBody('chunked-big');
    const response = await chunkedPost('/graphql', bearer(), head, TEN_MB, tail);
    expect(response.status).toBe(413);
    expect(JSON.parse(response.text)).toEqual({ errors: [{ message: 'The request body is too large.', extensions: { code: 'BAD_USER_INPUT' } }] });
    expect(await incidentsTitled('chunked-big')).toBe(0);
  });

  it('still serves a chunked body within the limit', async () => {
    const [head, tail] = incidentBody('chunked-small');
    const response = await chunkedPost('/graphql', bearer(), head, 10_000, tail);
    expect(response.status).toBe(200);
    expect((JSON.parse(response.text) as Result<{ createIncident: { title: string } }>).data?.createIncident.title).toBe('chunked-small');
    expect(await incidentsTitled('chunked-small')).toBe(1);
  });

  it('answers 413 on graphql-sse, /v1 (in OpenAI shape) and the export route too', async () => {
    const [head, tail] = incidentBody('chunked-sse');
    const sse = await chunkedPost('/graphql/stream', { ...bearer(), accept: 'text/event-stream' }, head, TEN_MB, tail);
    expect(sse.status).toBe(413);
    expect((JSON.parse(sse.text) as Result).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await incidentsTitled('chunked-sse')).toBe(0);

    const v1 = await chunkedPost('/v1/chat/completions', bearer(), '{"model":"agora/default","messages":[{"role":"user","content":"', TEN_MB, '"}]}');
    expect(v1.status).toBe(413);
    expect(JSON.parse(v1.text)).toMatchObject({ error: { type: 'invalid_request_error', code: 'request_too_large', message: 'The request body is too large.' } });

    const exported = await chunkedPost('/api/v1/projects/00000000-0000-4000-8000-000000000000/export/json', bearer(), '{"', TEN_MB, '":1}');
    expect(exported.status).toBe(413);
    expect(JSON.parse(exported.text)).toMatchObject({ error: { code: 'BAD_USER_INPUT' } });
  });

  it('answers a declared Content-Length over the limit 413 without reading the body', async () => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer() },
      body: JSON.stringify({ query: '{ me { email } }', variables: { pad: 'a'.repeat(t.config.limits.requestBytes) } }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as Result).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('takes a body with a Content-Length as exactly that long: bytes sent past it are never part of it', async () => {
    // Within the limit a declared length is not counted again (Node's parser delivers no byte past it):
    // 10 MB after a 16-byte declaration are not a body the gateway reads.
    const [head, tail] = incidentBody('declared-short');
    const body = `${head}${'a'.repeat(TEN_MB)}${tail}`;
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\r\n\r\n')) socket.destroy();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
      socket.write(`POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: Bearer ${t.adminToken}\r\ncontent-length: 16\r\n\r\n`);
      // Cut off once the answer is in: the rest of the write fails, as it should.
      socket.write(body, () => undefined);
    });
    // The 16 bytes are not a GraphQL request: refused, as a client fault.
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(await incidentsTitled('declared-short')).toBe(0);
  });
});

describe('CORS', () => {
  const preflight = (app: TestApp, origin: string) =>
    app.app.yoga.fetch('http://yoga/graphql', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
  const post = (app: TestApp, origin: string) =>
    app.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${app.adminToken}` },
      body: JSON.stringify({ query: '{ me { email } }' }),
    });

  it('without CORS_ORIGINS grants no other origin anything (same-origin only)', async () => {
    for (const response of [await preflight(t, 'https://evil.example'), await post(t, 'https://evil.example')]) {
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('with CORS_ORIGINS grants the listed origins, never credentials, and nothing to the others', async () => {
    const listed = await createTestApp({ CORS_ORIGINS: 'https://app.example, https://console.example' }, { database: t.db });
    const single = await createTestApp({ CORS_ORIGINS: 'https://app.example' }, { database: t.db });
    try {
      for (const response of [await preflight(listed, 'https://console.example'), await post(listed, 'https://console.example')]) {
        expect(response.headers.get('access-control-allow-origin')).toBe('https://console.example');
        expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      }
      expect((await preflight(listed, 'https://console.example')).headers.get('access-control-allow-headers')).toBe('authorization, content-type');
      for (const app of [listed, single]) {
        for (const response of [await preflight(app, 'https://evil.example'), await post(app, 'https://evil.example')]) {
          expect(response.headers.get('access-control-allow-origin')).toBeNull();
          expect(response.headers.get('access-control-allow-credentials')).toBeNull();
        }
      }
    } finally {
      await Promise.all([listed.close(), single.close()]);
    }
  });
});

/** connection_init with these params over a raw socket: `ack`, or the close code and reason. */
function connectionInit(params: Record<string, unknown>): Promise<{ acknowledged: boolean; code?: number; reason?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: params })));
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') {
        socket.close(1000);
        resolve({ acknowledged: true });
      }
    });
    socket.on('close', (code, reason) => resolve({ acknowledged: false, code, reason: String(reason) }));
    socket.on('error', reject);
  });
}

describe('WebSocket connection_init', () => {
  it('closes with 4403 Forbidden for a forged, expired or revoked token in connectionParams', async () => {
    const member = await t.createUser(`ws-${randomBytes(3).toString('hex')}@example.com`);
    const issued = await t.graphql<{ createAccessToken: { token: string; accessToken: { id: string } } }>('mutation { createAccessToken(name: "expired") { token accessToken { id } } }', { token: member.token });
    await t.db.sql("update auth.access_tokens set expires_at = now() - interval '1 minute' where id = $1", [issued.data!.createAccessToken.accessToken.id]);
    const revoked = await t.graphql<{ createAccessToken: { token: string; accessToken: { id: string } } }>('mutation { createAccessToken(name: "revoked") { token accessToken { id } } }', { token: member.token });
    await t.graphql('mutation($id: ID!) { revokeAccessToken(id: $id) { id } }', { token: member.token, variables: { id: revoked.data!.createAccessToken.accessToken.id } });

    for (const token of [`agora_${'f'.repeat(43)}`, 'not-even-a-token', issued.data!.createAccessToken.token, revoked.data!.createAccessToken.token]) {
      expect(await connectionInit({ authorization: `Bearer ${token}` })).toEqual({ acknowledged: false, code: 4403, reason: 'Forbidden' });
    }
  });

  it('accepts a valid token, and no token at all (each operation is then checked)', async () => {
    expect(await connectionInit({ authorization: `Bearer ${t.adminToken}` })).toEqual({ acknowledged: true });
    expect(await connectionInit({})).toEqual({ acknowledged: true });
  });
});

const PROGRESS = 'subscription($runId: ID!) { analysisProgress(runId: $runId) { seq status } }';

/** A member, a second token of theirs (the one that will be revoked), and a queued run of theirs. */
async function subscriber(): Promise<{ token: string; revoke: () => Promise<void>; runId: string }> {
  const member = await t.createUser(`sub-${randomBytes(3).toString('hex')}@example.com`);
  const issued = await t.graphql<{ createAccessToken: { token: string; accessToken: { id: string } } }>('mutation { createAccessToken(name: "subscription") { token accessToken { id } } }', { token: member.token });
  const incident = await t.graphql<{ createIncident: { id: string } }>('mutation { createIncident(input: { title: "disk full" }) { id } }', { token: member.token });
  const run = await t.graphql<{ analyzeIncident: { id: string } }>('mutation($id: ID!) { analyzeIncident(incidentId: $id, provider: LOCAL) { id } }', {
    token: member.token,
    variables: { id: incident.data!.createIncident.id },
  });
  return {
    token: issued.data!.createAccessToken.token,
    runId: run.data!.analyzeIncident.id,
    revoke: async () => {
      const revoked = await t.graphql('mutation($id: ID!) { revokeAccessToken(id: $id) { revokedAt } }', { token: member.token, variables: { id: issued.data!.createAccessToken.accessToken.id } });
      expect(revoked.errors).toBeUndefined();
    },
  };
}

/** Reads `iterator` until it ends: the results after the first. */
async function rest<T>(iterator: AsyncIterator<T>): Promise<T[]> {
  const results: T[] = [];
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) results.push(next.value);
  return results;
}

const expectRevokedEnd = (results: Result[]) => {
  expect(results).toHaveLength(1);
  expect(results[0]?.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  expect(results[0]?.errors?.[0]?.message).toMatch(/revoked/);
};

describe('a subscription whose token is revoked', () => {
  it('ends over WebSocket with UNAUTHENTICATED, and the socket serves on', async () => {
    const { token, revoke, runId } = await subscriber();
    const client = createWsClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${token}` } });
    try {
      const iterator = client.iterate<Result>({ query: PROGRESS, variables: { runId } })[Symbol.asyncIterator]();
      // The replayed first event: the subscription is live.
      expect(((await iterator.next()).value as Result).data).toEqual({ analysisProgress: { seq: 1, status: 'QUEUED' } });
      await revoke();
      expectRevokedEnd((await rest(iterator)) as Result[]);
      // Same socket, same (now revoked) token: refused per operation, the connection stays.
      const after = await rest(client.iterate<Result>({ query: '{ me { email } }' })[Symbol.asyncIterator]());
      expect((after[0] as Result).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      await client.dispose();
    }
  });

  it('ends over SSE (yoga) and over graphql-sse with UNAUTHENTICATED', async () => {
    const sse = await subscriber();
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${sse.token}` },
      body: JSON.stringify({ query: PROGRESS, variables: { runId: sse.runId } }),
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('event: next')) text += (await reader.read()).value ?? '';
    await sse.revoke();
    for (let next = await reader.read(); !next.done; next = await reader.read()) text += next.value;
    const events = text.split('\n\n').filter((block) => block.startsWith('event: next')).map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Result);
    expect(events[0]?.data).toEqual({ analysisProgress: { seq: 1, status: 'QUEUED' } });
    expectRevokedEnd(events.slice(1));
    expect(text).toContain('event: complete');

    const distinct = await subscriber();
    const client = createSseClient({ url: `${base}/graphql/stream`, retryAttempts: 0, headers: { authorization: `Bearer ${distinct.token}` } });
    try {
      const iterator = client.iterate<Result>({ query: PROGRESS, variables: { runId: distinct.runId } })[Symbol.asyncIterator]();
      expect(((await iterator.next()).value as Result).data).toEqual({ analysisProgress: { seq: 1, status: 'QUEUED' } });
      await distinct.revoke();
      expectRevokedEnd((await rest(iterator)) as Result[]);
    } finally {
      client.dispose();
    }
  });

  it('ends on re-checking its token when no revocation message reaches it (a replica without Redis)', async () => {
    const { token, runId } = await subscriber();
    // A gateway of its own pub/sub (it hears nothing) and no token cache: only the periodic re-check can tell.
    const deps = { ...t.runtime.deps, tokenCache: undefined };
    const isolated = createPubSubHandle(undefined);
    const yoga = createYoga({
      schema: buildSchema(),
      context: (initial: InitialContext) => buildContext(deps, authorizationOf(initial)),
      plugins: [subscriptionRevocationPlugin({ pubsub: isolated.pubsub, logger: deps.logger, authorizationOf, recheckMs: 20 })],
    });
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: PROGRESS, variables: { runId } }),
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('event: next')) text += (await reader.read()).value ?? '';
    // Revoked behind the gateway's back: straight in the database, no message on any channel.
    await t.db.sql('update auth.access_tokens set revoked_at = now() where token_hash = encode(sha256(convert_to($1, \'utf8\')), \'hex\')', [token]);
    for (let next = await reader.read(); !next.done; next = await reader.read()) text += next.value;
    expect(text).toContain('UNAUTHENTICATED');
    expect(text).toContain('event: complete');
    await yoga.dispose();
  });

  // Redis: REDIS_URL when set (then it must answer); else a redis-server of the test's own (redisTest).
  redisTest('ends on another replica at once, through Redis', async (url) => {
    const [a, b] = [await createTestApp({ WORKERS: 'false', REDIS_URL: url }, { database: t.db }), await createTestApp({ WORKERS: 'false', REDIS_URL: url }, { database: t.db })];
    try {
      const member = await a.createUser(`replica-${randomBytes(3).toString('hex')}@example.com`);
      const issued = await a.graphql<{ createAccessToken: { token: string; accessToken: { id: string } } }>('mutation { createAccessToken { token accessToken { id } } }', { token: member.token });
      const token = issued.data!.createAccessToken.token;
      const bPort = await b.app.start(0, '127.0.0.1');
      const client = createWsClient({ url: `ws://127.0.0.1:${bPort}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${token}` } });
      try {
        const incident = await b.graphql<{ createIncident: { id: string } }>('mutation { createIncident(input: { title: "disk full" }) { id } }', { token });
        const run = await b.graphql<{ analyzeIncident: { id: string } }>('mutation($id: ID!) { analyzeIncident(incidentId: $id, provider: LOCAL) { id } }', { token, variables: { id: incident.data!.createIncident.id } });
        const iterator = client.iterate<Result>({ query: PROGRESS, variables: { runId: run.data!.analyzeIncident.id } })[Symbol.asyncIterator]();
        expect(((await iterator.next()).value as Result).data).toEqual({ analysisProgress: { seq: 1, status: 'QUEUED' } });
        // Revoked on replica A; the subscription lives on replica B, whose token cache still holds the viewer.
        await a.graphql('mutation($id: ID!) { revokeAccessToken(id: $id) { id } }', { token: member.token, variables: { id: issued.data!.createAccessToken.accessToken.id } });
        expectRevokedEnd((await rest(iterator)) as Result[]);
      } finally {
        await client.dispose();
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('the paid-operations cap (MAX_PAID_OPERATIONS_PER_REQUEST)', () => {
  const NO_SUCH_INCIDENT = '00000000-0000-4000-8000-000000000000';
  const analyses = (count: number, alias = 'a') => Array.from({ length: count }, (_, i) => `${alias}${i}: analyzeIncident(incidentId: "${NO_SUCH_INCIDENT}") { id }`).join(' ');

  it('names only root fields the schema has', () => {
    const schema = buildSchema();
    const roots = [schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) => Object.keys(type?.getFields() ?? {}));
    expect(PAID_OPERATIONS.filter((name) => !roots.includes(name))).toEqual([]);
    expect(PAID_OPERATIONS).toEqual(expect.arrayContaining(['callLlm', 'llmStream', 'analyzeIncident', 'analyzeGithubRepository', 'importGithubRepository']));
  });

  // Executed, the first unknown incident is NOT_FOUND (and, a non-null mutation field, ends the rest).
  it('lets 5 through (they run) and refuses 6 before any runs, counting aliases and fragments', async () => {
    const five = await t.graphql(`mutation { ${analyses(5)} }`);
    expect(five.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    const six = await t.graphql(`mutation { ${analyses(6)} }`);
    expect(six.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/^At most 5 paid operations .* this one has 6\./), extensions: { code: 'BAD_USER_INPUT' } })]);
    // Through fragments: a fragment spread twice merges into the same fields (3), one inline fragment adds 3.
    const fragment = `fragment Three on Mutation { ${analyses(3)} }`;
    const merged = await t.graphql(`mutation { ...Three ...Three } ${fragment}`);
    expect(merged.errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    const spread = await t.graphql(`mutation { ...Three ... on Mutation { ${analyses(3, 'b')} } } ${fragment}`);
    expect(spread.errors?.[0]?.message).toMatch(/this one has 6\./);
    const [runs] = await t.db.sql<{ count: string }>('select count(*)::text as count from specs.analysis_runs where incident_id = $1', [NO_SUCH_INCIDENT]);
    expect(runs?.count).toBe('0');
  });

  it('takes its limit from the environment', async () => {
    const strict = await createTestApp({ MAX_PAID_OPERATIONS_PER_REQUEST: '2' }, { database: t.db });
    try {
      expect((await strict.graphql(`mutation { ${analyses(3)} }`)).errors?.[0]?.message).toMatch(/^At most 2 paid operations/);
      expect((await strict.graphql(`mutation { ${analyses(2)} }`)).errors?.map((error) => error.extensions?.code)).toEqual(['NOT_FOUND']);
    } finally {
      await strict.close();
    }
  });
});

describe('input no one may send, on /v1', () => {
  const chat = (body: string) =>
    t.app.yoga.fetch('http://yoga/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` }, body });

  it('answers a NUL character, a lone surrogate and 10,000-deep JSON 400 naming the problem, never 500', async () => {
    const message = (content: string) => JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content }] });
    const cases: [string, RegExp][] = [
      [message('a\u0000b'), /messages\[0\]\.content contains a NUL character/],
      [message('half \ud83d'), /messages\[0\]\.content contains a lone UTF-16 surrogate/],
      [`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, /nested too deep/],
    ];
    for (const [body, problem] of cases) {
      const response = await chat(body);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { message: expect.stringMatching(problem), type: 'invalid_request_error', code: 'invalid_value', param: null } });
    }
  });
});

describe('input errors never quote a secret', () => {
  const SECRET = 'sk-hardening-5e3c7a9b1d';
  const ADD_KEY = 'mutation($input: AddApiKeyInput!) { addApiKey(input: $input) { id } }';
  const CREATE_PROVIDER = 'mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }';

  it('names the field, not the value, in variable coercion errors', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [ADD_KEY, { provider: 'OPENAI', apiKey: SECRET, labels: 'mine' }, /unknown field "labels"/],
      [ADD_KEY, { apiKey: SECRET }, /required field "provider"/],
      [ADD_KEY, { provider: 5, apiKey: SECRET }, /at "input\.provider"/],
      [ADD_KEY, { provider: 'OPENAI', apiKey: 12345678901 }, /at "input\.apiKey" \(not shown: the field holds a secret\)/],
      [CREATE_PROVIDER, { name: 'p', provider: 'OPENAI', apiKey: SECRET, isActive: 'yes' }, /at "input\.isActive"/],
      [CREATE_PROVIDER, { name: 'p', provider: 'OPENAI', apiKey: SECRET, confg: {} }, /unknown field "confg"/],
    ];
    for (const [query, input, named] of cases) {
      const response = await t.graphql(query, { variables: { input } });
      const text = JSON.stringify(response);
      expect(response.errors?.[0]?.extensions?.code, text).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.message, text).toMatch(named);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('12345678901');
    }
  });

  it('names the field, not the value, in validation errors about literals', async () => {
    const cases: [string, RegExp][] = [
      [`mutation { addApiKey(input: { provider: OPENAI, apiKey: "${SECRET}", labels: "mine" }) { id } }`, /unknown field "labels"/],
      [`mutation { addApiKey(input: { apiKey: "${SECRET}" }) { id } }`, /provider/],
      ['mutation { addApiKey(input: { provider: OPENAI, apiKey: 12345678901 }) { id } }', /"apiKey" is invalid \(not shown: the field holds a secret\)/],
    ];
    for (const [query, named] of cases) {
      const response = await t.graphql(query);
      const text = JSON.stringify(response);
      expect(response.errors?.[0]?.extensions?.code, text).toBe('BAD_USER_INPUT');
      expect(response.errors?.map((error) => error.message).join(' '), text).toMatch(named);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('12345678901');
    }
    expect(t.logs.join('')).not.toContain(SECRET);
  });
});
