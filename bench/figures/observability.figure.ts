// Figure: what metrics and tracing cost a call.
//
// Metrics, in this process: two yoga servers answer the same named mutation, whose resolver reports to a
// call observer exactly what the call pipeline reports for one callLlm (a cache lookup, one attempt run
// and ended, the finished call). One has the observability plugin and the real observer (tracing off, as
// in any process that has not started it); the other has neither. Interleaved rounds, process CPU time
// per operation; the difference is what metrics (and the tracing-off checks on the same path) add.
// Tracing on, through the gateway: the bench's gateway (tracing off) beside a second gateway process with
// OTEL_EXPORTER_OTLP_ENDPOINT set, exporting protobuf to a sink in this process; the same callLlm on each,
// in rotating order, one connection; gateway CPU per call and p50 latency, on minus off.
// Tracing off costs nothing by construction: no SDK module is imported, no instrumentation installed, and
// the call path tests one boolean (trace-context.ts); the first row's difference includes those tests.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createSchema, createYoga } from 'graphql-yoga';
import { type CallObserver, NO_OBSERVER } from '../../src/modules/calls/call-observer.ts';
import { createCallObserver } from '../../src/observability/call-observer.ts';
import { observabilityPlugin } from '../../src/observability/graphql-plugin.ts';
import { type Bench, gatewayEnvironment, ROOT } from '../support/bench.ts';
import { startChild } from '../support/child-process.ts';
import { cpuMs, Deadline, fmt, median, rotation } from '../support/stats.ts';

const MUTATION = JSON.stringify({ query: 'mutation BenchCall { callLlm(prompt: "hi") }' });

/** What CallsService reports for one successful, uncached, non-streamed call. */
function reportOneCall(observer: CallObserver): string {
  observer.cache('miss');
  const attempt = observer.attempt({ provider: 'OPENAI', model: 'gpt-4o-mini', configurationId: '00000000-0000-4000-8000-000000000001', streamed: false });
  const text = attempt.run(() => 'Hello from the fake provider.');
  attempt.end({ ok: true, errorCode: null, inputTokens: 12, outputTokens: 7, finishReason: 'stop' });
  observer.call({ provider: 'OPENAI', model: 'gpt-4o-mini', status: 'SUCCEEDED', streamed: false, cached: false, durationSeconds: 0.012, inputTokens: 12, outputTokens: 7, cost: '0.00000600' });
  return text;
}

function yogaWith(observer: CallObserver, observed: boolean) {
  return createYoga<{ observer: CallObserver }>({
    schema: createSchema<{ observer: CallObserver }>({
      typeDefs: 'type Query { ok: Boolean } type Mutation { callLlm(prompt: String!): String }',
      resolvers: { Mutation: { callLlm: (_root, _args, context) => reportOneCall(context.observer) } },
    }),
    context: { observer },
    plugins: observed ? [observabilityPlugin()] : [],
    logging: false,
    landingPage: false,
  });
}

async function metricsCost(bench: Bench): Promise<void> {
  const { settings } = bench;
  const servers = { off: yogaWith(NO_OBSERVER, false), metrics: yogaWith(createCallObserver(), true) };
  type Name = keyof typeof servers;
  const names = Object.keys(servers) as Name[];
  const send = async (name: Name) => {
    const response = await servers[name].fetch('http://bench/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: MUTATION });
    const body = (await response.json()) as { data?: { callLlm?: string } };
    if (body.data?.callLlm !== 'Hello from the fake provider.') throw new Error(`the bench yoga (${name}) did not answer: ${JSON.stringify(body)}`);
  };
  for (let i = 0; i < 500; i += 1) for (const name of names) await send(name);
  const perRound = settings.quick ? 2_000 : 5_000;
  const rounds = settings.quick ? 4 : 10;
  const cpuPerCall: Record<Name, number[]> = { off: [], metrics: [] };
  const deadline = new Deadline(settings.quick ? 30 : 90);
  for (let round = 0; round < rounds && !deadline.passed; round += 1) {
    for (const name of rotation(names, round)) {
      const before = process.cpuUsage();
      for (let i = 0; i < perRound; i += 1) await send(name);
      cpuPerCall[name].push(cpuMs(before, process.cpuUsage()) / perRound);
    }
  }
  const off = median(cpuPerCall.off);
  const metrics = median(cpuPerCall.metrics);
  const added = metrics - off;
  bench.report.add({
    id: 'observability.metrics-cpu',
    name: 'metrics (operation plugin and call observer, tracing off), CPU added per callLlm, in-process, on minus off',
    measured: added,
    unit: 'ms',
    value: `${fmt(added, 4)} ms (on ${fmt(metrics, 4)} ms, off ${fmt(off, 4)} ms per operation)`,
    goal: '<= 0.05 ms',
    pass: added <= 0.05,
    details: { rounds: cpuPerCall.off.length, operationsPerRound: perRound, cpuPerCall },
  });
}

async function tracingCost(bench: Bench): Promise<void> {
  const { settings, gateway } = bench;
  let exports = 0;
  let exportedBytes = 0;
  const sink = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (exportedBytes += chunk.length));
    request.on('end', () => {
      exports += 1;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  sink.listen(0, '127.0.0.1');
  await once(sink, 'listening');
  const traced = await startChild('traced gateway', join(ROOT, 'bench/children/traced-gateway.child.ts'), {
    env: {
      ...gatewayEnvironment(bench.db.url, bench.masterKey, settings.logLevel),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    },
  });
  try {
    const urls = { off: bench.httpUrl, traced: `http://127.0.0.1:${Number(traced.info.port)}/graphql` };
    const children = { off: gateway, traced };
    type Name = keyof typeof urls;
    const names = Object.keys(urls) as Name[];
    const body = JSON.stringify({ query: 'mutation BenchTraced { callLlm(input: { prompt: "hi" }) { text } }' });
    const call = async (name: Name) => {
      const response = await fetch(urls[name], { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bench.admin.token}` }, body });
      const answer = (await response.json()) as { data?: { callLlm?: { text?: string } }; errors?: unknown };
      if (!answer.data?.callLlm?.text) throw new Error(`callLlm failed on the ${name} gateway: ${JSON.stringify(answer.errors)}`);
    };
    for (let i = 0; i < 30; i += 1) for (const name of names) await call(name);
    const times: Record<Name, number[]> = { off: [], traced: [] };
    const iterations = settings.quick ? 150 : 500;
    const deadline = new Deadline(settings.quick ? 20 : 60);
    const exportsBefore = exports;
    // Each process's CPU over the whole interleaved loop: its own calls, and the same idle work in both.
    const cpuBefore = { off: await children.off.cpu(), traced: await children.traced.cpu() };
    for (let i = 0; i < iterations && !deadline.passed; i += 1) {
      for (const name of rotation(names, i)) {
        const started = performance.now();
        await call(name);
        times[name].push(performance.now() - started);
      }
    }
    const cpu = { off: cpuMs(cpuBefore.off, await children.off.cpu()), traced: cpuMs(cpuBefore.traced, await children.traced.cpu()) };
    // The batch processor exports every 5 s: wait for one more export, so spans are known to flow.
    const waitUntil = performance.now() + 10_000;
    while (exports === exportsBefore && performance.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 100));
    if (exports === exportsBefore) throw new Error('the traced gateway exported no spans');
    const cpuPerCall = { off: cpu.off / times.off.length, traced: cpu.traced / times.traced.length };
    const p50 = { off: median(times.off), traced: median(times.traced) };
    const addedCpu = cpuPerCall.traced - cpuPerCall.off;
    bench.report.add({
      id: 'observability.tracing-on-cpu',
      name: 'tracing on (OTLP/protobuf to a local sink), gateway CPU added per callLlm, on minus off, 1 connection',
      measured: addedCpu,
      unit: 'ms',
      value: `${fmt(addedCpu, 3)} ms CPU (on ${fmt(cpuPerCall.traced, 3)} ms, off ${fmt(cpuPerCall.off, 3)} ms); p50 ${fmt(p50.traced)} ms on, ${fmt(p50.off)} ms off`,
      goal: 'reported',
      pass: null,
      details: { calls: times.traced.length, cpuPerCall, p50, exports: exports - exportsBefore, exportedBytes },
    });
  } finally {
    await traced.stop();
    sink.closeAllConnections();
    await new Promise((resolve) => sink.close(resolve));
  }
}

export async function observabilityFigure(bench: Bench): Promise<void> {
  await metricsCost(bench);
  await tracingCost(bench);
}
