// `npm run bench`: measures the gateway against its goals on this machine. Each figure is measured beside
// its baseline in the same run, in interleaved rounds, and reported as medians. BENCH_QUICK=1: a smoke run.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { createSchema, createYoga } from 'graphql-yoga';
import OpenAI from 'openai';
import pg from 'pg';
import WebSocket from 'ws';
import { loadConfig } from '../src/config/config.ts';
import { initOrm, migrate } from '../src/db/database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { createLogger } from '../src/logger.ts';
import { AuthService } from '../src/modules/auth/auth.service.ts';
import { startRuntime } from '../src/runtime.ts';
import { parseMasterKeys } from '../src/security/master-key.ts';
import { SecretBox } from '../src/security/secret-box.ts';
import { startFakeLlmServers } from '../test/support/fake-llm/fake-llm-servers.ts';
import { freePort } from '../test/support/ports.ts';
import { load, median, percentile, ROOT, round, timeIt } from './support.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = QUICK ? 2 : 5;
const ROUNDS = QUICK ? 1 : 3;

interface Figure {
  name: string;
  value: string;
  goal: string;
  pass: boolean | null;
  details?: Record<string, unknown>;
}
const figures: Figure[] = [];
const report = (figure: Figure) => {
  figures.push(figure);
  const verdict = figure.pass === null ? 'INFO' : figure.pass ? 'PASS' : 'MISS';
  console.log(`${verdict.padEnd(4)}  ${figure.name}: ${figure.value}  (goal: ${figure.goal})`);
};

// ---- set-up: a database of our own, the fakes, the gateway in this process
let embeddedStop: (() => Promise<void>) | null = null;
let adminUrl = process.env.DATABASE_URL;
const dataDir = await mkdtemp(join(tmpdir(), 'agora-bench-'));
await chmod(dataDir, 0o755);
if (!adminUrl) {
  const embedded = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'agora_admin' });
  adminUrl = embedded.url;
  embeddedStop = embedded.stop;
}
const databaseName = `agora_bench_${process.pid}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${databaseName}`);
const url = new URL(adminUrl);
url.pathname = `/${databaseName}`;
const databaseUrl = url.toString();
const sql = new pg.Client({ connectionString: databaseUrl });

const orm = await initOrm(databaseUrl, 20);
await migrate(orm, databaseUrl);
await sql.connect();
const fakes = await startFakeLlmServers();
const masterKey = Buffer.alloc(32, 3).toString('base64');
const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, AGORA_ENCRYPTION_KEY: masterKey, LOG_LEVEL: 'silent', DATABASE_POOL_MAX: '20' });
const runtime = await startRuntime({ config, orm, databaseUrl, logger: createLogger('silent'), secretBox: new SecretBox(parseMasterKeys(masterKey)) });
const port = await runtime.app.start(0, '127.0.0.1');
const gateway = `http://127.0.0.1:${port}/graphql`;
const auth = new AuthService(orm.em.fork());
const { token, user } = await auth.createUser({ email: 'bench-admin@example.com', role: 'ADMIN' });
const member = await auth.createUser({ email: 'bench-member@example.com', role: 'MEMBER' });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

async function graphql<T>(query: string, variables: Record<string, unknown> = {}, bearer = token): Promise<T> {
  const response = await fetch(gateway, { method: 'POST', headers: { ...headers, authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
await graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
  input: { name: 'bench-openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-bench', isActive: true },
});
const openai = new OpenAI({ apiKey: 'sk-bench', baseURL: fakes.baseUrls.OPENAI, maxRetries: 0 });
console.log(`Agora benchmarks${QUICK ? ' (quick)' : ''}: gateway on ${gateway}, PostgreSQL ${process.env.DATABASE_URL ? 'external' : 'embedded'}\n`);

// ---- 1. callLlm over a direct SDK call to the same fake
{
  const direct: number[] = [];
  const viaGateway: number[] = [];
  const iterations = QUICK ? 60 : 300;
  const callBody = JSON.stringify({ query: 'mutation { callLlm(input: { prompt: "hi" }) { text tokensUsed cost } }' });
  for (let i = 0; i < iterations; i += 1) {
    direct.push((await timeIt(() => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }))).ms);
    viaGateway.push((await timeIt(() => fetch(gateway, { method: 'POST', headers, body: callBody }).then((response) => response.text()))).ms);
  }
  const added = median(viaGateway) - median(direct);
  report({
    name: 'callLlm added latency, p50, 1 connection',
    value: `${round(added)} ms (gateway ${round(median(viaGateway))} ms, direct SDK ${round(median(direct))} ms)`,
    goal: '<= 1.0 ms',
    pass: added <= 1,
  });
  for (const connections of [10, 50]) {
    const ratios: number[] = [];
    const cpu: number[] = [];
    let last = { gateway: 0, direct: 0 };
    for (let r = 0; r < ROUNDS; r += 1) {
      const baseline = await load({
        url: `${fakes.baseUrls.OPENAI}/chat/completions`,
        connections,
        seconds: SECONDS,
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
      });
      const measured = await load({ url: gateway, connections, seconds: SECONDS, body: callBody, headers });
      ratios.push(measured.requestsPerSecond / baseline.requestsPerSecond);
      cpu.push(measured.cpuMsPerRequest);
      last = { gateway: measured.requestsPerSecond, direct: baseline.requestsPerSecond };
    }
    report({
      name: `callLlm throughput, ${connections} connections`,
      value: `${round(median(ratios), 3)} x direct (${round(last.gateway, 0)} vs ${round(last.direct, 0)} req/s; ${round(median(cpu), 3)} ms CPU per call)`,
      goal: 'ratio reported',
      pass: null,
    });
  }
}

// ---- 2. llmStream: first delta through the gateway vs straight from the SDK
{
  const direct: number[] = [];
  const ws: number[] = [];
  const sse: number[] = [];
  const client = createClient({ url: gateway.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  const query = 'subscription { llmStream(input: { prompt: "hi" }) { delta done } }';
  for (let i = 0; i < (QUICK ? 20 : 100); i += 1) {
    const started = performance.now();
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) {
        direct.push(performance.now() - started);
        break;
      }
    }
    const wsStarted = performance.now();
    await new Promise<void>((resolve, reject) => {
      let first = true;
      client.subscribe({ query }, {
        next: () => {
          if (first) ws.push(performance.now() - wsStarted);
          first = false;
        },
        error: reject,
        complete: resolve,
      });
    });
    const sseStarted = performance.now();
    const response = await fetch(gateway, { method: 'POST', headers: { ...headers, accept: 'text/event-stream' }, body: JSON.stringify({ query }) });
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('"delta"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    sse.push(performance.now() - sseStarted);
    await reader.cancel();
  }
  await client.dispose();
  for (const [transport, values] of [['WebSocket', ws], ['SSE', sse]] as const) {
    const added = median(values) - median(direct);
    report({
      name: `llmStream first delta, added over the SDK's own, ${transport}`,
      value: `${round(added)} ms (gateway ${round(median(values))} ms, SDK ${round(median(direct))} ms)`,
      goal: '<= 2 ms',
      pass: added <= 2,
    });
  }
}

// ---- 3. usage summaries over many rows (the daily rollup)
{
  const users = [user.id, member.user.id, ...(await Promise.all(Array.from({ length: 8 }, (_, i) => auth.createUser({ email: `bench-user-${i}@example.com` })))).map((created) => created.user.id)];
  let inserted = 0;
  for (const target of QUICK ? [100_000] : [1_000_000, 10_000_000]) {
    const batch = 1_000_000;
    const seeding = await timeIt(async () => {
      while (inserted < target) {
        const count = Math.min(batch, target - inserted);
        await sql.query(
          `insert into specs.usage_records (id, created_at, user_id, project_id, provider, model, input_tokens, output_tokens, cost, latency_ms, status, error_class, streamed, attempts)
           select gen_random_uuid(), now() - ((i % 365) * interval '1 day') - ((i % 86400) * interval '1 second'), ($1::uuid[])[1 + i % 10], null,
                  'OPENAI', 'gpt-4o-mini', 100 + i % 900, 50 + i % 200,
                  round(((100 + i % 900) * 0.00015 + (50 + i % 200) * 0.0006) / 1000, 8), 10, 'SUCCEEDED', null, false, 1
           from generate_series($2::bigint, $3::bigint) as i`,
          [users, inserted + 1, inserted + count],
        );
        inserted += count;
      }
      await sql.query('truncate specs.usage_daily');
      await sql.query(
        `insert into specs.usage_daily (day, user_id, project_id, provider, model, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
         select (created_at at time zone 'UTC')::date, user_id, project_id, provider, model, count(*), coalesce(sum(input_tokens), 0),
                coalesce(sum(output_tokens), 0), coalesce(sum(cost), 0), count(*) filter (where cost is null)
         from specs.usage_records group by 1, 2, 3, 4, 5`,
      );
      await sql.query('analyze specs.usage_daily; analyze specs.usage_records');
    });
    const label = target >= 1_000_000 ? `${target / 1_000_000}M` : `${target / 1000}k`;
    console.log(`      (seeded ${label} usage rows and their rollup in ${round(seeding.ms / 1000, 1)} s)`);
    const summary = 'query($filter: UsageFilter) { usage(filter: $filter) { calls totalTokens totalCost byProvider { key cost } byModel { key cost } byDay { key cost } } }';
    const now = Date.now();
    const cases = [
      ['admin, all users', token, {}],
      ['member, own usage', member.token, {}],
      ['member, from/to cutting through days', member.token, { from: new Date(now - 30.5 * 86_400_000).toISOString(), to: new Date(now - 0.5 * 86_400_000).toISOString() }],
    ] as const;
    for (const [name, bearer, filter] of cases) {
      const times: number[] = [];
      for (let i = 0; i < (QUICK ? 10 : 40); i += 1) times.push((await timeIt(() => graphql(summary, { filter }, bearer))).ms);
      const p50 = median(times);
      report({ name: `usage summary over ${label} rows, ${name}, p50`, value: `${round(p50)} ms`, goal: '<= 5 ms', pass: p50 <= 5 });
    }
  }
}

// ---- 4. read throughput against a bare graphql-yoga server
{
  const bare = createServer(createYoga({ schema: createSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } }), logging: false }));
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const barePort = (bare.address() as { port: number }).port;
  for (let i = 0; i < 50; i += 1) {
    const project = await graphql<{ createProject: { id: string } }>('mutation($name: String!) { createProject(input: { name: $name, templateId: "rest-api" }) { id } }', { name: `Bench ${i}` });
    void project;
  }
  const reads = [
    ['providers', '{ providers { id models { id } } }'],
    ['a page of 50 projects with specifications', '{ projects(first: 50) { edges { node { id name specifications { key value } } } } }'],
  ] as const;
  for (const [name, query] of reads) {
    const ratios: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      const baseline = await load({ url: `http://127.0.0.1:${barePort}/graphql`, connections: 10, seconds: SECONDS, body: JSON.stringify({ query: '{ __typename }' }), headers: { 'content-type': 'application/json' } });
      const measured = await load({ url: gateway, connections: 10, seconds: SECONDS, body: JSON.stringify({ query }), headers });
      ratios.push(measured.requestsPerSecond / baseline.requestsPerSecond);
      cpu.push(measured.cpuMsPerRequest);
    }
    const ratio = median(ratios);
    report({ name: `read throughput, ${name}, 10 connections, vs bare yoga { __typename }`, value: `${round(ratio, 3)} x (${round(median(cpu), 3)} ms CPU per request)`, goal: '>= 0.8', pass: ratio >= 0.8 });
  }
  await new Promise((resolve) => bare.close(resolve));
}

// ---- 5. many WebSocket subscribers on one analysis run
{
  const subscribers = QUICK ? 100 : 1000;
  fakes.openai.script({ text: 'x'.repeat(4000), deltas: Array.from({ length: 40 }, () => 'x'.repeat(100)), frameDelayMs: 60 });
  const incident = await graphql<{ createIncident: { id: string } }>('mutation { createIncident(input: { title: "bench: memory", severity: HIGH }) { id } }');
  const clients = Array.from({ length: subscribers }, () =>
    createClient({ url: gateway.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${token}` } }),
  );
  await new Promise((resolve) => setTimeout(resolve, QUICK ? 500 : 3000));
  const run = await graphql<{ analyzeIncident: { id: string } }>('mutation($id: ID!) { analyzeIncident(incidentId: $id) { id } }', { id: incident.createIncident.id });
  const subscribedAt = Date.now();
  const latencies: number[] = [];
  await Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((resolve) => {
          client.subscribe<{ analysisProgress: { at: string } }>(
            { query: 'subscription($id: ID!) { analysisProgress(runId: $id) { seq at } }', variables: { id: run.analyzeIncident.id } },
            {
              next: (value) => {
                const at = Date.parse(value.data!.analysisProgress.at);
                if (at > subscribedAt + 1000) latencies.push(Date.now() - at);
              },
              error: () => resolve(),
              complete: () => resolve(),
            },
          );
        }),
    ),
  );
  await Promise.all(clients.map((client) => client.dispose()));
  fakes.reset();
  const p99 = percentile(latencies, 99);
  report({
    name: `${subscribers} WebSocket subscribers on one run, event latency`,
    value: `p50 ${round(percentile(latencies, 50))} ms, p99 ${round(p99)} ms over ${latencies.length} deliveries`,
    goal: 'p99 <= 50 ms',
    pass: latencies.length > 0 && p99 <= 50,
  });
}

// ---- 6. cold and warm start of `npm start` (embedded PostgreSQL)
{
  const startDir = join(dataDir, 'start');
  await mkdir(startDir, { recursive: true, mode: 0o755 });
  const startOnce = async () => {
    const httpPort = await freePort();
    const started = performance.now();
    const child = spawn(process.execPath, ['src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', AGORA_DATA_DIR: startDir, PORT: String(httpPort), AGORA_PG_PORT: String(await freePort()), LOG_LEVEL: 'warn', NODE_ENV: 'development' },
      stdio: 'ignore',
    });
    for (let i = 0; i < 1200; i += 1) {
      const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((response) => response.ok).catch(() => false);
      if (ready) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const ms = performance.now() - started;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
    return ms;
  };
  const cold = await startOnce();
  const warm = median(await Promise.all([startOnce()]).then(async (first) => [...first, ...(QUICK ? [] : [await startOnce(), await startOnce()])]));
  report({ name: 'npm start to /readyz, fresh data directory (initdb included)', value: `${round(cold / 1000, 2)} s`, goal: 'reported', pass: null });
  report({ name: 'npm start to /readyz, warm data directory', value: `${round(warm / 1000, 2)} s`, goal: 'reported', pass: null });
}

// ---- 7. PDF export of a project with 2,000 specifications
{
  const created = await graphql<{ createProject: { id: string } }>('mutation { createProject(input: { name: "Big specification set" }) { id } }');
  const projectId = created.createProject.id;
  await sql.query(
    `insert into specs.specifications (id, created_at, updated_at, project_id, category, key, value, confidence, source)
     select gen_random_uuid(), now(), now(), $1, 'category ' || (i % 20), 'key ' || i, 'A value with some words for row ' || i || ' – ünïcødé', 0.9, 'MANUAL'
     from generate_series(1, 2000) as i`,
    [projectId],
  );
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < (QUICK ? 2 : 5); i += 1) {
    const result = await timeIt(() => graphql<{ exportProject: { byteSize: number } }>('mutation($id: ID!) { exportProject(projectId: $id, format: PDF) { byteSize } }', { id: projectId }));
    times.push(result.ms);
    bytes = result.value.exportProject.byteSize;
  }
  const p50 = median(times);
  report({ name: 'PDF export, 2,000 specifications', value: `${round(p50)} ms (${round(bytes / 1024, 0)} KiB)`, goal: '< 2000 ms', pass: p50 < 2000 });
}

// ---- results
const machine = `${(await import('node:os')).cpus().length} cores, ${round((await import('node:os')).totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}`;
const when = new Date().toISOString();
await writeFile(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify({ when, machine, quick: QUICK, figures }, null, 2)}\n`);
const table = [
  `Measured ${when.slice(0, 10)} on ${machine}${QUICK ? ' (quick run)' : ''}.`,
  '',
  '| figure | value | goal | verdict |',
  '| --- | --- | --- | --- |',
  ...figures.map((figure) => `| ${figure.name} | ${figure.value} | ${figure.goal} | ${figure.pass === null ? 'info' : figure.pass ? 'pass' : '**miss**'} |`),
].join('\n');
await writeFile(join(ROOT, 'bench/results/latest.md'), `${table}\n`);
console.log(`\n${table}\n\nWritten to bench/results/latest.json and bench/results/latest.md`);

await runtime.stop();
await fakes.close();
await sql.end();
await orm.close(true);
await admin.query(`drop database ${databaseName} with (force)`);
await admin.end();
await embeddedStop?.();
await rm(dataDir, { recursive: true, force: true });
process.exit(0);
