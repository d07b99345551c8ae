// Figure 1: what `callLlm` adds over calling the provider directly with its SDK.
//
// Latency, one connection: the bench process calls, in rotating order, (a) the fake OpenAI server with the
// `openai` SDK (maxRetries 0), (b) a minimal SDK proxy, (c) the gateway's `callLlm` over HTTP; each call
// waits for the previous one. The added latency is p50(gateway) - p50(direct SDK).
// Throughput: autocannon (its own process) against (a) the fake itself with the body the SDK sends, the
// most the provider side can answer on this machine, (b) the proxy, (c) the gateway, interleaved.
import { join } from 'node:path';
import OpenAI from 'openai';
import { type Bench, ROOT } from '../support/bench.ts';
import { startChild } from '../support/child-process.ts';
import { failureRate, load, type LoadResult, type LoadTarget } from '../support/load.ts';
import { cpuMs, Deadline, fmt, median, percentile, rotation } from '../support/stats.ts';

const CALL = JSON.stringify({ query: 'mutation { callLlm(input: { prompt: "hi" }) { text tokensUsed cost } }' });
const SDK_BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], model: 'gpt-4o-mini' });

export async function callLlmFigure(bench: Bench): Promise<void> {
  const { settings, fake, gateway } = bench;
  const openai = new OpenAI({ apiKey: 'sk-bench-0000', baseURL: fake.baseUrl, maxRetries: 0 });
  const proxy = await startChild('sdk proxy', join(ROOT, 'bench/children/sdk-proxy.child.ts'), { env: { FAKE_OPENAI_URL: fake.baseUrl } });
  const proxyUrl = `http://127.0.0.1:${Number(proxy.info.port)}/`;
  const usageRows = async () => Number((await bench.db.sql.query<{ count: string }>('select count(*) from specs.usage_records')).rows[0]!.count);
  const gatewayHeaders = { 'content-type': 'application/json', authorization: `Bearer ${bench.admin.token}` };
  try {
    const calls = {
      direct: () => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      proxy: () => fetch(proxyUrl, { method: 'POST', body: '{}' }).then((response) => response.text()),
      gateway: () => fetch(bench.httpUrl, { method: 'POST', headers: gatewayHeaders, body: CALL }).then((response) => response.text()),
    };
    type Name = keyof typeof calls;
    const names = Object.keys(calls) as Name[];
    const answer = JSON.parse(await calls.gateway()) as { data?: { callLlm?: { text?: string } }; errors?: unknown };
    if (!answer.data?.callLlm?.text) throw new Error(`callLlm does not answer: ${JSON.stringify(answer)}`);

    // ---- one connection: sequential calls, interleaved
    const times: Record<Name, number[]> = { direct: [], proxy: [], gateway: [] };
    for (let i = 0; i < 30; i += 1) for (const name of names) await calls[name]();
    const iterations = settings.quick ? 150 : 500;
    const rowsBefore = await usageRows();
    const cpuBefore = await gateway.cpu();
    const deadline = new Deadline(settings.quick ? 20 : 60);
    await bench.profiled('call-latency-1-connection', async () => {
      for (let i = 0; i < iterations && !deadline.passed; i += 1) {
        for (const name of rotation(names, i)) {
          const started = performance.now();
          await calls[name]();
          times[name].push(performance.now() - started);
        }
      }
    });
    const gatewayCpu = cpuMs(cpuBefore, await gateway.cpu()) / times.gateway.length;
    const rowsPerCall = (await usageRows() - rowsBefore) / times.gateway.length;
    fake.server.reset();
    const p50 = { direct: median(times.direct), proxy: median(times.proxy), gateway: median(times.gateway) };
    const added = p50.gateway - p50.direct;
    bench.report.add({
      id: 'call.added-latency.c1',
      name: 'callLlm added latency over a direct SDK call, p50, 1 connection',
      measured: added,
      unit: 'ms',
      value:
        `${fmt(added)} ms (gateway ${fmt(p50.gateway)} ms, direct SDK ${fmt(p50.direct)} ms; a minimal SDK proxy adds ${fmt(p50.proxy - p50.direct)} ms); ` +
        `gateway CPU ${fmt(gatewayCpu)} ms per call`,
      goal: '<= 1.0 ms',
      pass: added <= 1,
      details: {
        calls: times.gateway.length,
        p50,
        p90: { direct: percentile(times.direct, 90), proxy: percentile(times.proxy, 90), gateway: percentile(times.gateway, 90) },
        gatewayCpuMsPerCall: gatewayCpu,
        usageRowsPerCall: rowsPerCall,
      },
    });

    // ---- throughput under load, interleaved rounds
    const targets: Record<Name, LoadTarget> = {
      direct: { url: `${fake.server.baseUrl}/v1/chat/completions`, body: SDK_BODY, headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-0000' }, server: 'self' },
      proxy: { url: proxyUrl, body: '{}', headers: { 'content-type': 'application/json' }, server: proxy },
      gateway: { url: bench.httpUrl, body: CALL, headers: gatewayHeaders, server: gateway },
    };
    for (const connections of [10, 50]) {
      for (const name of names) await load(targets[name], connections, 1);
      fake.server.reset();
      const runs: Record<Name, LoadResult[]> = { direct: [], proxy: [], gateway: [] };
      let rows = 0;
      await bench.profiled(`call-throughput-${connections}-connections`, async () => {
        for (let round = 0; round < settings.rounds; round += 1) {
          for (const name of rotation(names, round)) {
            const before = name === 'gateway' ? await usageRows() : 0;
            runs[name].push(await load(targets[name], connections, settings.seconds));
            if (name === 'gateway') rows += (await usageRows()) - before;
            fake.server.reset();
          }
        }
      });
      const ratios = runs.gateway.map((run, index) => run.requestsPerSecond / runs.direct[index]!.requestsPerSecond);
      const proxyRatios = runs.proxy.map((run, index) => run.requestsPerSecond / runs.direct[index]!.requestsPerSecond);
      const rps = (name: Name) => median(runs[name].map((run) => run.requestsPerSecond));
      const cpu = (name: Name) => median(runs[name].map((run) => run.cpuMsPerRequest));
      const gatewayRequests = runs.gateway.reduce((sum, run) => sum + run.requests, 0);
      const failures = Math.max(...runs.gateway.map(failureRate));
      const ratio = median(ratios);
      bench.report.add({
        id: `call.throughput.c${connections}`,
        name: `callLlm throughput, ${connections} connections, vs the fake provider itself`,
        measured: ratio,
        unit: 'x',
        value:
          `${fmt(ratio, 3)} x (gateway ${fmt(rps('gateway'), 0)} req/s, p50 ${runs.gateway.map((run) => run.p50Ms).sort((a, b) => a - b)[Math.floor(runs.gateway.length / 2)]} ms; ` +
          `fake directly ${fmt(rps('direct'), 0)} req/s; minimal SDK proxy ${fmt(median(proxyRatios), 3)} x); ` +
          `gateway CPU ${fmt(cpu('gateway'))} ms per call (proxy ${fmt(cpu('proxy'), 3)} ms)` +
          (failures > 0 ? `; ${fmt(100 * failures, 1)}% of gateway requests failed` : ''),
        goal: 'ratio reported',
        pass: null,
        details: { connections, seconds: settings.seconds, rounds: settings.rounds, ratios, proxyRatios, runs, usageRowsPerRequest: rows / Math.max(1, gatewayRequests) },
      });
    }
  } finally {
    await proxy.stop();
  }
}
