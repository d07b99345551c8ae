// Figure: what the OpenAI-compatible endpoint adds over calling the provider directly with its SDK.
//
// Latency, one connection, the call-llm figure's rounds: the bench process calls, in rotating order, (a) the
// fake OpenAI server with the `openai` SDK, (b) the minimal SDK proxy, (c) the gateway's `callLlm`, (d) the
// gateway's POST /v1/chat/completions with the same `openai` SDK (baseURL the gateway, apiKey an Agora
// token); each call waits for the previous one. Added latency: p50(/v1) - p50(direct SDK).
// CPU: the gateway's CPU time over blocks of /v1 calls and of callLlm calls alone (interleaved blocks),
// divided by the calls of each block; the usage rows written per /v1 call are counted too.
import { join } from 'node:path';
import OpenAI from 'openai';
import { type Bench, ROOT } from '../support/bench.ts';
import { startChild } from '../support/child-process.ts';
import { cpuMs, Deadline, fmt, median, percentile, rotation } from '../support/stats.ts';

const CALL_LLM = JSON.stringify({ query: 'mutation { callLlm(input: { prompt: "hi" }) { text tokensUsed cost } }' });
const MESSAGES = [{ role: 'user' as const, content: 'hi' }];

export async function openAiCompatFigure(bench: Bench): Promise<void> {
  const { settings, fake, gateway } = bench;
  const direct = new OpenAI({ apiKey: 'sk-bench-0000', baseURL: fake.baseUrl, maxRetries: 0 });
  const viaAgora = new OpenAI({ apiKey: bench.admin.token, baseURL: bench.httpUrl.replace(/\/graphql$/, '/v1'), maxRetries: 0 });
  const proxy = await startChild('sdk proxy', join(ROOT, 'bench/children/sdk-proxy.child.ts'), { env: { FAKE_OPENAI_URL: fake.baseUrl } });
  const proxyUrl = `http://127.0.0.1:${Number(proxy.info.port)}/`;
  const usageRows = async () => Number((await bench.db.sql.query<{ count: string }>('select count(*) from specs.usage_records')).rows[0]!.count);
  const gatewayHeaders = { 'content-type': 'application/json', authorization: `Bearer ${bench.admin.token}` };
  try {
    const calls = {
      direct: () => direct.chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }),
      proxy: () => fetch(proxyUrl, { method: 'POST', body: '{}' }).then((response) => response.text()),
      callLlm: () => fetch(bench.httpUrl, { method: 'POST', headers: gatewayHeaders, body: CALL_LLM }).then((response) => response.text()),
      openai: () => viaAgora.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: MESSAGES }),
    };
    type Name = keyof typeof calls;
    const names = Object.keys(calls) as Name[];
    const answer = await calls.openai();
    if (answer.choices[0]?.message.content !== 'Hello from the fake provider.') throw new Error(`/v1/chat/completions does not answer: ${JSON.stringify(answer)}`);

    // ---- one connection: sequential calls, interleaved
    for (let i = 0; i < 30; i += 1) for (const name of names) await calls[name]();
    const times: Record<Name, number[]> = { direct: [], proxy: [], callLlm: [], openai: [] };
    const iterations = settings.quick ? 150 : 500;
    const deadline = new Deadline(settings.quick ? 20 : 60);
    await bench.profiled('openai-compat-latency-1-connection', async () => {
      for (let i = 0; i < iterations && !deadline.passed; i += 1) {
        for (const name of rotation(names, i)) {
          const started = performance.now();
          await calls[name]();
          times[name].push(performance.now() - started);
        }
      }
    });
    fake.server.reset();

    // ---- gateway CPU per call: blocks of one kind of call, interleaved
    const gatewayCalls = ['openai', 'callLlm'] as const;
    const cpu: Record<(typeof gatewayCalls)[number], { ms: number; calls: number }> = { openai: { ms: 0, calls: 0 }, callLlm: { ms: 0, calls: 0 } };
    const block = settings.quick ? 50 : 200;
    let rows = 0;
    for (let round = 0; round < settings.rounds * 2; round += 1) {
      for (const name of rotation(gatewayCalls, round)) {
        const rowsBefore = name === 'openai' ? await usageRows() : 0;
        const before = await gateway.cpu();
        for (let i = 0; i < block; i += 1) await calls[name]();
        cpu[name].ms += cpuMs(before, await gateway.cpu());
        cpu[name].calls += block;
        if (name === 'openai') rows += (await usageRows()) - rowsBefore;
      }
      fake.server.reset();
    }
    const cpuPerCall = { openai: cpu.openai.ms / cpu.openai.calls, callLlm: cpu.callLlm.ms / cpu.callLlm.calls };

    const p50 = { direct: median(times.direct), proxy: median(times.proxy), callLlm: median(times.callLlm), openai: median(times.openai) };
    const p90 = { direct: percentile(times.direct, 90), proxy: percentile(times.proxy, 90), callLlm: percentile(times.callLlm, 90), openai: percentile(times.openai, 90) };
    const added = p50.openai - p50.direct;
    bench.report.add({
      id: 'openai.added-latency.c1',
      name: '/v1/chat/completions (OpenAI SDK through Agora) added latency over a direct SDK call, p50, 1 connection',
      measured: added,
      unit: 'ms',
      value:
        `${fmt(added)} ms (through Agora ${fmt(p50.openai)} ms, direct SDK ${fmt(p50.direct)} ms; a minimal SDK proxy adds ${fmt(p50.proxy - p50.direct)} ms, ` +
        `callLlm ${fmt(p50.callLlm - p50.direct)} ms)`,
      goal: '<= 1.0 ms',
      pass: added <= 1,
      details: { calls: times.openai.length, p50, p90 },
    });
    bench.report.add({
      id: 'openai.cpu.c1',
      name: '/v1/chat/completions gateway CPU per call, 1 connection, vs callLlm',
      measured: cpuPerCall.openai,
      unit: 'ms',
      value: `${fmt(cpuPerCall.openai)} ms per call (callLlm ${fmt(cpuPerCall.callLlm)} ms); ${fmt(rows / cpu.openai.calls, 2)} usage rows per call`,
      goal: "<= callLlm's",
      pass: cpuPerCall.openai <= cpuPerCall.callLlm,
      details: { cpu, cpuPerCall, usageRowsPerCall: rows / cpu.openai.calls },
    });
  } finally {
    await proxy.stop();
  }
}
