import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../src/modules/auth/auth.service.ts';
import { redactSqlLiterals } from '../../src/observability/sql-redaction.ts';
import { analyze, createIncident, finished, waitForRun } from '../support/analysis.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { waitFor } from '../support/process.ts';

// Traces through the real entry (`node src/main.ts`, so tracing starts before `pg` is loaded, as in
// production) into a tiny OTLP/HTTP receiver on 127.0.0.1, in both of OTLP/HTTP's encodings. One callLlm,
// sent with a client's W3C traceparent, must arrive as one trace under that parent: the GraphQL operation's
// span, the provider attempt's span with gen_ai.* attributes, the SQL it ran under it, and nowhere the
// prompt, the answer, the API key or the token.

const PROMPT = 'Draft the secret merger memo trace-prompt-4e1a';
const ANSWER = 'Hello from the fake provider.';
const API_KEY = 'sk-tracing-config-key-9d2c';

const SPAN_KIND = { SERVER: 2, CLIENT: 3, CONSUMER: 5 } as const;
const STATUS_ERROR = 2;

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  statusCode: number;
}

interface Export {
  contentType: string;
  bytes: number;
  spans: ReceivedSpan[];
}

// ---- OTLP/JSON (hex ids, AnyValue objects) ----

type JsonAnyValue = { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number; arrayValue?: { values?: JsonAnyValue[] } };

function fromJsonValue(value: JsonAnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(fromJsonValue);
  return null;
}

function decodeJson(body: Buffer): ReceivedSpan[] {
  type JsonSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: { key: string; value: JsonAnyValue }[]; status?: { code?: number } };
  const request = JSON.parse(body.toString('utf8')) as { resourceSpans: { scopeSpans: { spans: JsonSpan[] }[] }[] };
  return request.resourceSpans.flatMap((resource) =>
    resource.scopeSpans.flatMap((scope) =>
      scope.spans.map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        attributes: Object.fromEntries((span.attributes ?? []).map(({ key, value }) => [key, fromJsonValue(value)])),
        statusCode: span.status?.code ?? 0,
      })),
    ),
  );
}

// ---- OTLP/protobuf: a reader of the wire format, for the fields of opentelemetry/proto/trace/v1 used here ----

interface Field {
  number: number;
  wireType: number;
  varint?: bigint;
  bytes?: Buffer;
  fixed?: Buffer;
}

function fieldsOf(buffer: Buffer): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[at++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (at < buffer.length) {
    const tag = Number(varint());
    const field: Field = { number: tag >> 3, wireType: tag & 7 };
    if (field.wireType === 0) field.varint = varint();
    else if (field.wireType === 2) {
      const length = Number(varint());
      field.bytes = buffer.subarray(at, at + length);
      at += length;
    } else if (field.wireType === 1 || field.wireType === 5) {
      const size = field.wireType === 1 ? 8 : 4;
      field.fixed = buffer.subarray(at, at + size);
      at += size;
    } else throw new Error(`unexpected wire type ${field.wireType}`);
    fields.push(field);
  }
  return fields;
}

const messages = (fields: Field[], number: number) => fields.filter((field) => field.number === number).map((field) => fieldsOf(field.bytes!));
const bytesField = (fields: Field[], number: number) => fields.find((field) => field.number === number)?.bytes ?? Buffer.alloc(0);

function fromProtoValue(value: Field[]): unknown {
  const field = value[0];
  if (!field) return null;
  switch (field.number) {
    case 1:
      return field.bytes!.toString('utf8');
    case 2:
      return field.varint === 1n;
    case 3:
      return Number(BigInt.asIntN(64, field.varint!));
    case 4:
      return field.fixed!.readDoubleLE(0);
    case 5:
      return messages(fieldsOf(field.bytes!), 1).map(fromProtoValue);
    default:
      return null;
  }
}

function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  return messages(fieldsOf(body), 1).flatMap((resourceSpans) =>
    messages(resourceSpans, 2).flatMap((scopeSpans) =>
      messages(scopeSpans, 2).map((span) => ({
        traceId: bytesField(span, 1).toString('hex'),
        spanId: bytesField(span, 2).toString('hex'),
        parentSpanId: bytesField(span, 4).toString('hex'),
        name: bytesField(span, 5).toString('utf8'),
        kind: Number(span.find((field) => field.number === 6)?.varint ?? 0n),
        attributes: Object.fromEntries(
          messages(span, 9).map((keyValue) => [bytesField(keyValue, 1).toString('utf8'), fromProtoValue(messages(keyValue, 2)[0] ?? [])]),
        ),
        statusCode: Number(messages(span, 15)[0]?.find((field) => field.number === 3)?.varint ?? 0n),
      })),
    ),
  );
}

// ---- The receiver ----

interface Receiver {
  url: string;
  exports: Export[];
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const exports: Export[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = request.headers['content-type'] ?? '';
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      const json = contentType.startsWith('application/json');
      exports.push({ contentType, bytes: body.length, spans: json ? decodeJson(body) : decodeProtobuf(body) });
      // An empty ExportTraceServiceResponse: full success.
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports,
    spans: () => exports.flatMap((exported) => exported.spans),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// ---- The gateway under trace ----

let fakes: FakeLlmServers;
let db: TestDatabase;
let adminToken: string;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  db = await createTestDatabase();
  adminToken = (await new AuthService(db.orm.em.fork()).createUser({ email: 'tracing-admin@example.com', role: 'ADMIN' })).token;
});
afterAll(async () => {
  await Promise.all([fakes.close(), db.drop()]);
});

async function startTraced(receiver: Receiver, protocol: 'http/json' | 'http/protobuf'): Promise<GatewayProcess> {
  return startGateway(
    {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_SERVICE_NAME: 'agora-tracing-test',
      // The SDK's own batching setting: export within 100 ms instead of 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
    adminToken,
  );
}

/** A client's own span, as W3C trace-context carries it. */
function clientParent() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

async function configureOpenAi(gateway: GatewayProcess, name: string): Promise<void> {
  const response = await gateway.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
    variables: { input: { name, provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI, model: 'gpt-4o-mini' }, apiKey: API_KEY, isActive: true } },
  });
  expect(response.errors).toBeUndefined();
}

const CALL = 'mutation TraceCall($input: CallLlmInput!) { callLlm(input: $input) { text inputTokens outputTokens } }';

let calls = 0;

/**
 * Sends one traced callLlm and waits for its trace (the GraphQL span and the provider span) to arrive. It is
 * cached and idempotent, so its statements write the answer (the cache entry, the stored result): values
 * the spans must not show.
 */
async function tracedCall(gateway: GatewayProcess, receiver: Receiver) {
  const parent = clientParent();
  calls += 1;
  const response = await gateway.graphql<{ callLlm: { text: string } }>(CALL, {
    variables: { input: { prompt: `${PROMPT} (${calls})`, maxTokens: 50, cache: true, idempotencyKey: `trace-idempotency-${calls}-${parent.spanId}` } },
    headers: { traceparent: parent.traceparent },
  });
  expect(response.errors).toBeUndefined();
  expect(response.data?.callLlm.text).toBe(ANSWER);
  const inTrace = () => receiver.spans().filter((span) => span.traceId === parent.traceId);
  await waitFor(
    () => inTrace().some((span) => span.name === 'mutation TraceCall') && inTrace().some((span) => span.name.startsWith('chat ')),
    20_000,
    'the callLlm trace to be exported',
  );
  return { parent, spans: inTrace() };
}

/** Every span's chain of parents, up to the trace's root (the client's span, which is not exported). */
function ancestorsOf(span: ReceivedSpan, spans: ReceivedSpan[]): string[] {
  const byId = new Map(spans.map((candidate) => [candidate.spanId, candidate]));
  const chain: string[] = [];
  for (let next = byId.get(span.parentSpanId); next; next = byId.get(next.parentSpanId)) chain.push(next.spanId);
  return chain;
}

function expectOneTraceOfCallLlm(parent: ReturnType<typeof clientParent>, spans: ReceivedSpan[]): { graphql: ReceivedSpan; provider: ReceivedSpan; sql: ReceivedSpan[] } {
  const ids = new Set(spans.map((span) => span.spanId));
  // One trace, whose only way out is the client's span: the GraphQL operation hangs from it, all else from spans in it.
  const roots = spans.filter((span) => !ids.has(span.parentSpanId));
  expect(roots.map((span) => [span.name, span.parentSpanId])).toEqual([['mutation TraceCall', parent.spanId]]);
  const graphql = roots[0]!;
  expect(graphql.kind).toBe(SPAN_KIND.SERVER);
  expect(graphql.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'graphql.operation.name': 'TraceCall' });

  const providerSpans = spans.filter((span) => span.name.startsWith('chat '));
  expect(providerSpans).toHaveLength(1);
  const provider = providerSpans[0]!;
  expect(provider.name).toBe('chat gpt-4o-mini');
  expect(provider.kind).toBe(SPAN_KIND.CLIENT);
  expect(provider.attributes).toMatchObject({
    'gen_ai.system': 'openai',
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.usage.input_tokens': 12,
    'gen_ai.usage.output_tokens': 7,
    'gen_ai.response.finish_reasons': ['stop'],
  });
  expect(provider.statusCode).not.toBe(STATUS_ERROR);
  expect(ancestorsOf(provider, spans)).toContain(graphql.spanId);

  const sql = spans.filter((span) => span.attributes['db.system'] === 'postgresql' && span.name.startsWith('pg.query'));
  expect(sql.length).toBeGreaterThan(0);
  for (const statement of sql) expect(ancestorsOf(statement, spans)).toContain(graphql.spanId);
  // The call's usage row is among the statements, with placeholders for its values.
  expect(sql.some((span) => /insert into .*usage_records/i.test(String(span.attributes['db.statement'])))).toBe(true);

  // The cache entry and the stored result were written: their statements are there, without their values.
  expect(sql.some((span) => /response_cache/i.test(String(span.attributes['db.statement'])))).toBe(true);
  expect(sql.some((span) => /idempotency/i.test(String(span.attributes['db.statement'])))).toBe(true);

  // Nothing of the call's content or credentials in any attribute.
  const values = spans.flatMap((span) => [span.name, ...Object.values(span.attributes).map((value) => JSON.stringify(value))]);
  for (const secret of [PROMPT, 'trace-prompt-4e1a', ANSWER, 'Hello from the fake', API_KEY, adminToken]) expect(values.filter((value) => value.includes(secret))).toEqual([]);
  return { graphql, provider, sql };
}

describe('SQL in spans', () => {
  it('keeps a statement’s shape and drops every string constant', () => {
    expect(redactSqlLiterals("select * from auth.users where email = 'ann@example.com' and n = 3")).toBe("select * from auth.users where email = '?' and n = 3");
    expect(redactSqlLiterals("insert into t values ('it''s', E'a\\'b', $$body 'x'$$, $tag$q$tag$, '{}'::text[])")).toBe("insert into t values ('?', '?', '?', '?', '?'::text[])");
    expect(redactSqlLiterals("select 'cut short")).toBe("select '?'");
  });
});

describe('traces over OTLP/HTTP JSON', () => {
  let receiver: Receiver;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    receiver = await startReceiver();
    gateway = await startTraced(receiver, 'http/json');
    await configureOpenAi(gateway, 'openai-json');
  }, 120_000);
  afterAll(async () => {
    await gateway?.stop();
    await receiver?.close();
  });

  it('exports one callLlm as one trace under the client’s traceparent: GraphQL span, provider span with gen_ai.*, SQL under them', async () => {
    const { parent, spans } = await tracedCall(gateway, receiver);
    expectOneTraceOfCallLlm(parent, spans);
    expect(receiver.exports.every((exported) => exported.contentType.startsWith('application/json'))).toBe(true);
    // The request's log line carries the trace id.
    const line = gateway
      .output()
      .split('\n')
      .filter((text) => text.startsWith('{'))
      .map((text) => JSON.parse(text) as { msg?: string; operationName?: string; traceId?: string })
      .find((entry) => entry.msg === 'request' && entry.operationName === 'TraceCall');
    expect(line?.traceId).toBe(parent.traceId);
  });

  it('passes the provider attempt’s trace context to the provider as traceparent', async () => {
    fakes.reset();
    const { parent, spans } = await tracedCall(gateway, receiver);
    const provider = spans.find((span) => span.name.startsWith('chat '))!;
    const sent = fakes.openai.requests.at(-1)!;
    expect(sent.headers.traceparent).toBe(`00-${parent.traceId}-${provider.spanId}-01`);
  });

  it('traces a streamed call (llmStream over SSE) under its subscription’s span, which lasts until the stream ends', async () => {
    const parent = clientParent();
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${adminToken}`, traceparent: parent.traceparent },
      body: JSON.stringify({ query: 'subscription TraceStream($input: CallLlmInput!) { llmStream(input: $input) { delta done } }', variables: { input: { prompt: `${PROMPT} (stream)` } } }),
    });
    const events = await response.text();
    expect(events).toContain('"done":true');
    const inTrace = () => receiver.spans().filter((span) => span.traceId === parent.traceId);
    await waitFor(() => inTrace().some((span) => span.name === 'subscription TraceStream') && inTrace().some((span) => span.name.startsWith('chat ')), 20_000, 'the stream trace');
    const spans = inTrace();
    const subscription = spans.find((span) => span.name === 'subscription TraceStream')!;
    expect(subscription.parentSpanId).toBe(parent.spanId);
    const provider = spans.find((span) => span.name.startsWith('chat '))!;
    expect(provider.attributes).toMatchObject({ 'gen_ai.system': 'openai', 'gen_ai.request.stream': true, 'gen_ai.usage.output_tokens': 7 });
    expect(ancestorsOf(provider, spans)).toContain(subscription.spanId);
  });

  it('traces a call through the OpenAI-compatible endpoint under a span of its route', async () => {
    const parent = clientParent();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, traceparent: parent.traceparent },
      body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: `${PROMPT} (compat)` }] }),
    });
    expect(response.status).toBe(200);
    const inTrace = () => receiver.spans().filter((span) => span.traceId === parent.traceId);
    await waitFor(() => inTrace().some((span) => span.name === 'POST /v1/chat/completions') && inTrace().some((span) => span.name.startsWith('chat ')), 20_000, 'the endpoint trace');
    const spans = inTrace();
    const route = spans.find((span) => span.name === 'POST /v1/chat/completions')!;
    expect(route.parentSpanId).toBe(parent.spanId);
    expect(route.kind).toBe(SPAN_KIND.SERVER);
    expect(ancestorsOf(spans.find((span) => span.name.startsWith('chat '))!, spans)).toContain(route.spanId);
    const values = spans.flatMap((span) => Object.values(span.attributes).map((value) => JSON.stringify(value)));
    expect(values.filter((value) => value.includes('trace-prompt-4e1a') || value.includes(ANSWER))).toEqual([]);
  });

  it('traces an analysis job: a consumer span per job, with its provider attempt and SQL under it', async () => {
    const incidentId = await createIncident(gateway, { title: 'API latency', description: 'p99 doubled', severity: 'HIGH', service: 'api', alerts: {} });
    const run = await waitForRun(gateway, (await analyze(gateway, incidentId, { provider: 'OPENAI' })).id, finished);
    expect(run.status).toBe('SUCCEEDED');
    const jobSpan = () => receiver.spans().find((span) => span.name === 'process analysis' && span.kind === SPAN_KIND.CONSUMER);
    await waitFor(() => jobSpan() !== undefined && receiver.spans().some((span) => span.traceId === jobSpan()!.traceId && span.name.startsWith('chat ')), 20_000, 'the job trace');
    const job = jobSpan()!;
    expect(job.attributes).toMatchObject({ 'messaging.system': 'pg-boss', 'messaging.destination.name': 'analysis' });
    const trace = receiver.spans().filter((span) => span.traceId === job.traceId);
    const provider = trace.find((span) => span.name.startsWith('chat '))!;
    expect(ancestorsOf(provider, trace)).toContain(job.spanId);
    expect(trace.some((span) => span.attributes['db.system'] === 'postgresql' && ancestorsOf(span, trace).includes(job.spanId))).toBe(true);
  });
});

describe('traces over OTLP/HTTP protobuf', () => {
  let receiver: Receiver;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    receiver = await startReceiver();
    gateway = await startTraced(receiver, 'http/protobuf');
    await configureOpenAi(gateway, 'openai-protobuf');
  }, 120_000);
  afterAll(async () => {
    await gateway?.stop();
    await receiver?.close();
  });

  it('exports the same trace in protobuf', async () => {
    const { parent, spans } = await tracedCall(gateway, receiver);
    expectOneTraceOfCallLlm(parent, spans);
    expect(receiver.exports.every((exported) => exported.contentType === 'application/x-protobuf' && exported.bytes > 0)).toBe(true);
  });
});
