// One set of rules on every transport: the same abusive documents, in production mode, over GraphQL over
// HTTP (POST /graphql), yoga's Server-Sent Events (POST /graphql with Accept: text/event-stream), the
// graphql-sse protocol (/graphql/stream, with the graphql-sse client) and graphql-ws (the graphql-ws
// client). Each document gets the same error code everywhere, nothing behind it runs, and a WebSocket
// that was refused an operation stays open for the next one.
import { createClient as createSseClient } from 'graphql-sse';
import { type Client, createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_MASTER_KEY, type TestApp } from '../../support/app.ts';

type GraphQLErrorJson = { message: string; extensions?: { code?: string } & Record<string, unknown> };
type Result = { data?: unknown; errors?: GraphQLErrorJson[] };

/** What one transport answered a document with: every result (or error message) it delivered. */
interface Outcome {
  results: Result[];
}

type Auth = 'admin' | 'none' | 'forged';

interface AbusiveDocument {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Variables as JSON text, for values no client can serialize (JSON.stringify overflows at 10,000 levels). */
  variablesText?: string;
  auth?: Auth;
  code: string;
  message?: RegExp;
  /** Text that must appear in no answer (a secret that was sent, a limit production does not reveal). */
  hidden?: string[];
  /** The same kind of document just inside the limit: it must be answered, so the limit is what refused. */
  inside?: string;
}

// In production Armor says only this for every limit (depth, aliases, tokens, cost), revealing none.
const LIMIT_REFUSED = /^Syntax Error: Query validation error\.$/;

// Well-formed (agora_ and 43 characters) but issued to nobody.
const FORGED_TOKEN = `agora_${'f'.repeat(43)}`;
const SECRET = 'sk-abuse-0123456789abcdef';
const NO_SUCH_INCIDENT = '00000000-0000-4000-8000-000000000000';
const INCIDENT = 'mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }';

/** `fragment F<n>` spreads F<n-1> twice: a short document whose cost doubles with every fragment. */
function costlyDocument(levels: number): string {
  const fragments = ['fragment F0 on Query { me { email name role } }'];
  for (let level = 1; level <= levels; level += 1) fragments.push(`fragment F${level} on Query { ...F${level - 1} ...F${level - 1} }`);
  return `query { ...F${levels} } ${fragments.join(' ')}`;
}

const DOCUMENTS: AbusiveDocument[] = [
  {
    name: 'a document deeper than MAX_QUERY_DEPTH (12)',
    query: `{ projects { edges { node { ${'analysisRuns { project { '.repeat(5)}id${' } }'.repeat(5)} } } } }`,
    inside: `{ projects { edges { node { ${'analysisRuns { project { '.repeat(4)}id${' } }'.repeat(4)} } } } }`,
    code: 'BAD_USER_INPUT',
    message: LIMIT_REFUSED,
    hidden: ['12'],
  },
  {
    name: 'more aliases than MAX_QUERY_ALIASES (30)',
    query: `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: me { email }`).join(' ')} }`,
    inside: `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: me { email }`).join(' ')} }`,
    code: 'BAD_USER_INPUT',
    message: LIMIT_REFUSED,
    hidden: ['30', '31'],
  },
  {
    name: 'more tokens than MAX_QUERY_TOKENS (2000)',
    // One fragment spread again and again: tokens pile up while validation stays cheap.
    query: `{ me { ${'...E '.repeat(1050)}} } fragment E on User { email }`,
    inside: `{ me { ${'...E '.repeat(900)}} } fragment E on User { email }`,
    code: 'BAD_USER_INPUT',
    message: LIMIT_REFUSED,
    hidden: ['2000'],
  },
  {
    name: 'a cost above MAX_QUERY_COST (20000)',
    query: costlyDocument(14),
    inside: costlyDocument(4),
    code: 'BAD_USER_INPUT',
    message: LIMIT_REFUSED,
    hidden: ['20000'],
  },
  {
    name: 'introspection in production',
    query: '{ __schema { queryType { name } } }',
    code: 'BAD_USER_INPUT',
    message: /introspection/i,
  },
  { name: 'a syntax error', query: '{ me { email ', code: 'BAD_USER_INPUT', message: /Syntax Error/ },
  { name: 'an unknown field (no suggestion in production)', query: '{ me { emial } }', code: 'BAD_USER_INPUT', message: /emial/, hidden: ['Did you mean'] },
  { name: 'no token', query: '{ me { email } }', auth: 'none', code: 'UNAUTHENTICATED' },
  { name: 'a forged token', query: '{ me { email } }', auth: 'forged', code: 'UNAUTHENTICATED', hidden: [FORGED_TOKEN] },
  {
    name: 'more paid operations than MAX_PAID_OPERATIONS_PER_REQUEST (5), as aliases',
    // Executed, each would be NOT_FOUND: the cap refuses the document before any of them runs.
    query: `mutation { ${Array.from({ length: 6 }, (_, i) => `a${i}: analyzeIncident(incidentId: "${NO_SUCH_INCIDENT}") { id }`).join(' ')} }`,
    code: 'BAD_USER_INPUT',
    message: /at most 5 paid operations/i,
  },
  {
    name: 'a NUL byte in a string variable',
    query: INCIDENT,
    variables: { input: { title: 'disk\u0000full' } },
    code: 'BAD_USER_INPUT',
    message: /NUL/,
  },
  {
    name: 'a NUL byte in a string literal',
    query: 'mutation { createIncident(input: { title: "disk\\u0000full" }) { id } }',
    code: 'BAD_USER_INPUT',
    message: /NUL/,
  },
  {
    name: 'a lone surrogate in a JSON variable',
    query: INCIDENT,
    variables: { input: { title: 'disk full', alerts: { note: 'half an emoji: \ud83d' } } },
    code: 'BAD_USER_INPUT',
    message: /surrogate/i,
  },
  {
    name: 'JSON 10,000 levels deep in a variable',
    query: INCIDENT,
    variablesText: `{"input":{"title":"disk full","alerts":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`,
    code: 'BAD_USER_INPUT',
    message: /deep/i,
  },
  {
    name: 'a subscription with a NUL byte in its input',
    query: 'subscription { llmStream(input: { prompt: "a\\u0000b" }) { delta } }',
    code: 'BAD_USER_INPUT',
    message: /NUL/,
  },
  {
    name: 'an unknown input field next to an apiKey',
    query: 'mutation($input: AddApiKeyInput!) { addApiKey(input: $input) { id } }',
    variables: { input: { provider: 'OPENAI', apiKey: SECRET, labels: 'mine' } },
    code: 'BAD_USER_INPUT',
    message: /labels/,
    hidden: [SECRET, 'sk-abuse'],
  },
];

let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await createTestApp({ NODE_ENV: 'production', AGORA_ENCRYPTION_KEY: TEST_MASTER_KEY });
  base = `http://127.0.0.1:${await t.app.start(0, '127.0.0.1')}`;
});
afterAll(async () => {
  await t.close();
});

function tokenOf(auth: Auth = 'admin'): string | null {
  if (auth === 'none') return null;
  return auth === 'forged' ? FORGED_TOKEN : t.adminToken;
}

function headersOf(auth: Auth | undefined): Record<string, string> {
  const token = tokenOf(auth);
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** The JSON text of a GraphQL request, with the variables as given (or as raw text). */
function bodyOf(document: AbusiveDocument): string {
  const variables = document.variablesText ?? JSON.stringify(document.variables ?? {});
  return `{"query":${JSON.stringify(document.query)},"variables":${variables}}`;
}

/** The `data:` payloads of an event stream's `next` events. */
function nextEvents(text: string): Result[] {
  return text
    .split('\n\n')
    .filter((block) => /^event: next$/m.test(block))
    .map((block) => JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice('data: '.length)) as Result);
}

async function overHttp(document: AbusiveDocument): Promise<Outcome> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headersOf(document.auth) },
    body: bodyOf(document),
  });
  return { results: [(await response.json()) as Result] };
}

async function overYogaSse(document: AbusiveDocument): Promise<Outcome> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headersOf(document.auth) },
    body: bodyOf(document),
  });
  const text = await response.text();
  // A request refused before its operation is parsed is answered as plain JSON, whatever was accepted.
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return { results: [JSON.parse(text) as Result] };
  return { results: nextEvents(text) };
}

async function overGraphqlSse(document: AbusiveDocument): Promise<Outcome> {
  if (document.variablesText !== undefined) {
    // The graphql-sse client serializes with JSON.stringify, which cannot write this value: its request
    // (distinct connections mode: one POST whose answer is the event stream) is sent as text.
    const response = await fetch(`${base}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headersOf(document.auth) },
      body: bodyOf(document),
    });
    return { results: nextEvents(await response.text()) };
  }
  const client = createSseClient({ url: `${base}/graphql/stream`, singleConnection: false, retryAttempts: 0, headers: headersOf(document.auth) });
  const results: Result[] = [];
  try {
    for await (const result of client.iterate({ query: document.query, variables: document.variables ?? {} })) results.push(result as Result);
  } finally {
    client.dispose();
  }
  return { results };
}

/** graphql-ws clients that keep their socket (not lazy), counting every connection and close. */
interface WsClient {
  client: Client;
  connections: number;
  closes: { code: number; reason: string }[];
}

function openWsClient(connectionParams: Record<string, unknown>): WsClient {
  const handle: WsClient = { client: undefined as unknown as Client, connections: 0, closes: [] };
  handle.client = createWsClient({
    url: `${base.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    connectionParams,
    on: {
      connected: () => void (handle.connections += 1),
      closed: (event) => void handle.closes.push({ code: (event as CloseEvent).code, reason: String((event as CloseEvent).reason) }),
    },
  });
  return handle;
}

/** A subscribe message sent as text over a raw socket: for variables no client can serialize. */
function overRawWebSocket(document: AbusiveDocument, connectionParams: Record<string, unknown>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const results: Result[] = [];
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: connectionParams })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
      if (message.type === 'connection_ack') {
        socket.send(`{"id":"1","type":"subscribe","payload":${bodyOf(document)}}`);
      } else if (message.type === 'next') {
        results.push(message.payload as Result);
      } else if (message.type === 'error') {
        results.push({ errors: message.payload as GraphQLErrorJson[] });
        socket.close(1000);
      } else if (message.type === 'complete') {
        socket.close(1000);
      }
    });
    socket.on('close', (code) => (code === 1000 ? resolve({ results }) : reject(new Error(`the socket closed with ${code}`))));
    socket.on('error', reject);
  });
}

describe('the abusive document set over HTTP, SSE, graphql-sse and WebSocket (production)', () => {
  let signedIn: WsClient;
  let anonymous: WsClient;

  beforeAll(() => {
    signedIn = openWsClient({ authorization: `Bearer ${t.adminToken}` });
    // GraphiQL's way: an empty connection_init and the token (here a forged one) in each subscribe message.
    anonymous = openWsClient({});
  });
  afterAll(async () => {
    await Promise.all([signedIn.client.dispose(), anonymous.client.dispose()]);
  });

  async function overWebSocket(document: AbusiveDocument): Promise<Outcome> {
    const auth = document.auth ?? 'admin';
    if (document.variablesText !== undefined) return overRawWebSocket(document, { authorization: `Bearer ${t.adminToken}` });
    const { client } = auth === 'admin' ? signedIn : anonymous;
    const extensions = auth === 'forged' ? { headers: { authorization: `Bearer ${FORGED_TOKEN}` } } : undefined;
    const results: Result[] = [];
    try {
      for await (const result of client.iterate({ query: document.query, variables: document.variables, extensions })) results.push(result as Result);
    } catch (errors) {
      // An `error` message: graphql-ws rejects with its list of errors.
      results.push({ errors: errors as GraphQLErrorJson[] });
    }
    return { results };
  }

  const transports: [string, (document: AbusiveDocument) => Promise<Outcome>][] = [
    ['HTTP POST', overHttp],
    ['SSE (yoga)', overYogaSse],
    ['graphql-sse', overGraphqlSse],
    ['graphql-ws', overWebSocket],
  ];

  for (const document of DOCUMENTS) {
    it(`${document.name}: ${document.code} on every transport`, async () => {
      if (document.inside) {
        const inside = await overHttp({ ...document, query: document.inside });
        expect(inside.results[0]?.errors, `${document.name}, inside the limit`).toBeUndefined();
      }
      for (const [transport, run] of transports) {
        const { results } = await run(document);
        const label = `${document.name} over ${transport}: ${JSON.stringify(results).slice(0, 500)}`;
        // One answer, refused as a whole: errors only, every one with the expected code, no data.
        expect(results, label).toHaveLength(1);
        const [result] = results;
        expect(result!.data ?? null, label).toBeNull();
        expect(result!.errors?.length, label).toBeGreaterThan(0);
        expect(result!.errors!.map((error) => error.extensions?.code), label).toEqual(result!.errors!.map(() => document.code));
        if (document.message) expect(result!.errors!.map((error) => error.message).join(' | '), label).toMatch(document.message);
        // What only the server may see: internals (yoga's http extension, stack traces) and hidden text.
        const text = JSON.stringify(results);
        expect(text, label).not.toMatch(/"http"|stack|originalError/);
        for (const hidden of document.hidden ?? []) expect(text, label).not.toContain(hidden);
      }
    });
  }

  it('keeps each WebSocket open through every refusal, and answers on it afterwards', async () => {
    const after = await overWebSocket({ name: 'a plain query', query: '{ me { email } }', code: '' });
    expect(after.results).toEqual([{ data: { me: { email: 'admin@example.com' } } }]);
    const anonymousAfter = await overWebSocket({ name: 'a plain query', query: '{ me { email } }', auth: 'forged', code: '' });
    expect(anonymousAfter.results[0]?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(signedIn.closes).toEqual([]);
    expect(anonymous.closes).toEqual([]);
    expect(signedIn.connections).toBe(1);
    expect(anonymous.connections).toBe(1);
  });

  it('stored nothing for any refused document', async () => {
    const [incidents] = await t.db.sql<{ count: string }>('select count(*)::text as count from specs.incidents');
    const [keys] = await t.db.sql<{ count: string }>('select count(*)::text as count from auth.api_keys');
    const [runs] = await t.db.sql<{ count: string }>('select count(*)::text as count from specs.analysis_runs');
    expect({ incidents: incidents?.count, keys: keys?.count, runs: runs?.count }).toEqual({ incidents: '0', keys: '0', runs: '0' });
    expect(t.logs.join('')).not.toContain(SECRET);
  });
});
