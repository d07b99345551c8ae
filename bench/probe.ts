// A quick probe for one lever at a time (not a figure: nothing is judged or written): one gateway as the
// bench starts it, the fake, 300 sequential requests (latency, CPU, PostgreSQL CPU and statements per
// request), the gateway's and PostgreSQL's CPU while idle for 3 s, then PROBE_ROUNDS loads of 3 s at 50
// connections (memory after each) and one of 3 s at 10 (throughput, CPU, statements per request).
// Compare a change with `git stash` in between runs: this machine's figures move by up to a third from one
// run to the next.
//   npm run bench:probe                            callLlm
//   PROBE_QUERY='{ providers { id } }' ...          any GraphQL document
//   PROBE_V1=1 ...                                  POST /v1/chat/completions
//   PROBE_ACCEPT='text/event-stream' ...            an Accept header (a subscription over SSE, with PROBE_QUERY)
//   PROBE_PROJECTS=50 ...                           the admin owns this many projects (from a template) first
//   PROBE_PROFILE=1 ...                             CPU profiles of the sequential requests and the 10-connection load
//                                                  (bench/results/profiles/probe-sequential.txt, probe-10.txt)
//   BENCH_GATEWAY_ENV='{"NAME":"value"}' ...        the gateway's environment, added to
import { openBench } from './support/bench.ts';
import { load } from './support/load.ts';
import { Report } from './support/report.ts';
import { cpuMs, median } from './support/stats.ts';

interface GatewayMemory {
  rss: number;
  heapSpaces: { name: string; size: number; used: number }[];
}

const bench = await openBench({ quick: true, profile: process.env.PROBE_PROFILE === '1', seconds: 3, rounds: 1, logLevel: 'info' }, new Report());
const v1 = process.env.PROBE_V1 === '1';
const url = v1 ? bench.httpUrl.replace('/graphql', '/v1/chat/completions') : bench.httpUrl;
const body = v1
  ? JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
  : JSON.stringify({ query: process.env.PROBE_QUERY ?? 'mutation { callLlm(input: { prompt: "hi" }) { text tokensUsed cost } }' });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${bench.admin.token}`, ...(process.env.PROBE_ACCEPT ? { accept: process.env.PROBE_ACCEPT } : {}) };
const send = () => fetch(url, { method: 'POST', headers, body }).then((response) => response.text());
const statements = () => bench.gateway.call<number>('statements');
const megabytes = (bytes: number) => Math.round(bytes / 1e6);
try {
  for (let i = 0; i < Number(process.env.PROBE_PROJECTS ?? 0); i += 1) {
    await bench.graphql('mutation($name: String!) { createProject(input: { name: $name, templateId: "rest-api" }) { id } }', { name: `Probe ${i}` });
  }
  console.log(`answer: ${(await send()).slice(0, 200)}`);
  for (let i = 0; i < 300; i += 1) await send();
  const sequential = 300;
  const [statementsBefore, cpuBefore, postgresBefore] = [await statements(), await bench.gateway.cpu(), await bench.db.postgresCpuMs()];
  const times: number[] = [];
  await bench.profiled('probe-sequential', async () => {
    for (let i = 0; i < sequential; i += 1) {
      const started = performance.now();
      await send();
      times.push(performance.now() - started);
    }
  });
  const perRequest = (value: number) => (value / sequential).toFixed(2);
  console.log(
    `sequential: p50 ${median(times).toFixed(2)} ms, gateway CPU ${perRequest(cpuMs(cpuBefore, await bench.gateway.cpu()))} ms, ` +
      `PostgreSQL ${perRequest((await bench.db.postgresCpuMs()) - postgresBefore)} ms, ${perRequest((await statements()) - statementsBefore)} statements per request`,
  );
  const [idleCpuBefore, idlePostgresBefore] = [await bench.gateway.cpu(), await bench.db.postgresCpuMs()];
  await new Promise((resolve) => setTimeout(resolve, 3000));
  console.log(`idle: gateway CPU ${(cpuMs(idleCpuBefore, await bench.gateway.cpu()) / 3).toFixed(1)} ms/s, PostgreSQL ${(((await bench.db.postgresCpuMs()) - idlePostgresBefore) / 3).toFixed(1)} ms/s`);
  await load({ url, body, headers, server: bench.gateway }, 10, 1);
  for (let round = 0; round < Number(process.env.PROBE_ROUNDS ?? 1); round += 1) {
    await load({ url, body, headers, server: bench.gateway }, 50, 3);
    const memory = await bench.gateway.call<GatewayMemory>('memory');
    const space = (name: string) => memory.heapSpaces.find((candidate) => candidate.name === name)!;
    console.log(`after 3 s at 50 connections: RSS ${megabytes(memory.rss)} MB, old space ${megabytes(space('old_space').used)} of ${megabytes(space('old_space').size)} MB, young ${megabytes(space('new_space').size)} MB`);
  }
  const loadStatements = await statements();
  const run = await bench.profiled('probe-10', () => load({ url, body, headers, server: bench.gateway, postgresCpuMs: bench.db.postgresCpuMs }, 10, 3));
  console.log(
    `10 connections: ${run.requestsPerSecond.toFixed(0)} req/s, p50 ${run.p50Ms} ms, gateway CPU ${run.cpuMsPerRequest.toFixed(2)} ms, ` +
      `PostgreSQL ${run.postgresCpuMsPerRequest.toFixed(2)} ms, ${(((await statements()) - loadStatements) / run.requests).toFixed(2)} statements per request, non-2xx ${run.non2xx}`,
  );
} finally {
  await bench.close();
}
