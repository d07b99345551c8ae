// Figure: what the OpenAI-compatible endpoint adds over calling the provider directly with its SDK, beside
// its peers (bench/support/baselines.ts): the Portkey gateway, the SDK proxy and the fetch proxy, all
// answered by the same fake OpenAI server.
//
// Latency, one connection, the call-llm figure's rounds: the bench process calls, in rotating order, (a) the
// fake OpenAI server with the `openai` SDK, (b) Portkey with the same SDK (baseURL Portkey, its routing
// headers), (c) the two proxies, (d) the gateway's `callLlm`, (e) the gateway's POST /v1/chat/completions
// with the same `openai` SDK (baseURL the gateway, apiKey an Agora token); each call waits for the previous
// one. Added latency: p50(x) - p50(direct SDK).
// CPU: the gateway's CPU time over blocks of /v1 calls and of callLlm calls alone (interleaved blocks),
// divided by the calls of each block; the usage rows written per /v1 call are counted too.
// Throughput, 10 connections: autocannon against Portkey, the proxies and the gateway's /v1 (the body the
// SDK sends), interleaved rounds, ratio to Portkey per round, then the median; PostgreSQL's CPU apart.
import OpenAI from 'openai';
import type { Bench } from '../support/bench.ts';
import { callPeer, FAKE_API_KEY, JSON_HEADERS, PEER_LABELS, PEER_NAMES, peerTarget, type Peers, startPeers } from '../support/baselines.ts';
import { failedNote, failureRate, load, type LoadResult, type LoadTarget } from '../support/load.ts';
import { cpuMs, Deadline, fmt, median, percentile, rotation } from '../support/stats.ts';

const CALL_LLM = JSON.stringify({ query: 'mutation { callLlm(input: { prompt: "hi" }) { text tokensUsed cost } }' });
const MESSAGES = [{ role: 'user' as const, content: 'hi' }];
/** What the `openai` SDK sends to the gateway's /v1 for the figure's call. */
const V1_BODY = JSON.stringify({ messages: MESSAGES, model: 'openai/gpt-4o-mini' });
const NAMES = ['direct', ...PEER_NAMES, 'callLlm', 'openai'] as const;
type Name = (typeof NAMES)[number];
const LOADED = [...PEER_NAMES, 'openai'] as const;
type Loaded = (typeof LOADED)[number];

export async function openAiCompatFigure(bench: Bench): Promise<void> {
  const { settings, fake, gateway, db } = bench;
  const direct = new OpenAI({ apiKey: FAKE_API_KEY, baseURL: fake.baseUrl, maxRetries: 0 });
  const v1Url = bench.httpUrl.replace(/\/graphql$/, '/v1');
  const viaAgora = new OpenAI({ apiKey: bench.admin.token, baseURL: v1Url, maxRetries: 0 });
  const peers: Peers = await startPeers(fake);
  const { authorization: _key, ...portkeyRouting } = peers.portkey.headers;
  const viaPortkey = new OpenAI({ apiKey: FAKE_API_KEY, baseURL: peers.portkey.baseUrl, maxRetries: 0, defaultHeaders: portkeyRouting });
  const usageRows = async () => Number((await db.sql.query<{ count: string }>('select count(*) from specs.usage_records')).rows[0]!.count);
  const gatewayHeaders = { ...JSON_HEADERS, authorization: `Bearer ${bench.admin.token}` };
  const post = (url: string, body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers, body }).then((response) => response.text());
  try {
    const calls: Record<Name, () => Promise<unknown>> = {
      direct: () => direct.chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }),
      portkey: () => viaPortkey.chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES }),
      sdkProxy: () => callPeer(peers.sdkProxy),
      fetchProxy: () => callPeer(peers.fetchProxy),
      callLlm: () => post(bench.httpUrl, CALL_LLM, gatewayHeaders),
      openai: () => viaAgora.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: MESSAGES }),
    };
    for (const name of ['openai', 'portkey'] as const) {
      const answer = (await calls[name]()) as OpenAI.ChatCompletion;
      if (answer.choices[0]?.message.content !== 'Hello from the fake provider.') throw new Error(`/v1/chat/completions through ${name} does not answer: ${JSON.stringify(answer)}`);
    }

    // ---- one connection: sequential calls, interleaved
    for (let i = 0; i < 30; i += 1) for (const name of NAMES) await calls[name]();
    const times: Record<Name, number[]> = { direct: [], portkey: [], sdkProxy: [], fetchProxy: [], callLlm: [], openai: [] };
    const iterations = settings.quick ? 150 : 500;
    const deadline = new Deadline(settings.quick ? 25 : 90);
    await bench.profiled('openai-compat-latency-1-connection', async () => {
      for (let i = 0; i < iterations && !deadline.passed; i += 1) {
        for (const name of rotation(NAMES, i)) {
          const started = performance.now();
          await calls[name]();
          times[name].push(performance.now() - started);
        }
      }
    });
    fake.server.reset();

    // ---- gateway CPU per call: blocks of one kind of call, interleaved
    const gatewayCalls = ['openai', 'callLlm'] as const;
    const cpu: Record<(typeof gatewayCalls)[number], { ms: number; postgresMs: number; calls: number }> = {
      openai: { ms: 0, postgresMs: 0, calls: 0 },
      callLlm: { ms: 0, postgresMs: 0, calls: 0 },
    };
    const block = settings.quick ? 50 : 200;
    let rows = 0;
    for (let round = 0; round < settings.rounds * 2; round += 1) {
      for (const name of rotation(gatewayCalls, round)) {
        const rowsBefore = name === 'openai' ? await usageRows() : 0;
        const postgresBefore = await db.postgresCpuMs();
        const before = await gateway.cpu();
        for (let i = 0; i < block; i += 1) await calls[name]();
        cpu[name].ms += cpuMs(before, await gateway.cpu());
        cpu[name].postgresMs += (await db.postgresCpuMs()) - postgresBefore;
        cpu[name].calls += block;
        if (name === 'openai') rows += (await usageRows()) - rowsBefore;
      }
      fake.server.reset();
    }
    const cpuPerCall = { openai: cpu.openai.ms / cpu.openai.calls, callLlm: cpu.callLlm.ms / cpu.callLlm.calls };
    const postgresPerCall = { openai: cpu.openai.postgresMs / cpu.openai.calls, callLlm: cpu.callLlm.postgresMs / cpu.callLlm.calls };

    const p50 = Object.fromEntries(NAMES.map((name) => [name, median(times[name])])) as Record<Name, number>;
    const p90 = Object.fromEntries(NAMES.map((name) => [name, percentile(times[name], 90)])) as Record<Name, number>;
    const addedBy = (name: Name) => p50[name] - p50.direct;
    const added = addedBy('openai');
    bench.report.add({
      id: 'openai.added-latency.c1',
      name: '/v1/chat/completions (OpenAI SDK through Agora) added latency over a direct SDK call, p50, 1 connection',
      measured: added,
      unit: 'ms',
      value:
        `${fmt(added)} ms (through Agora ${fmt(p50.openai)} ms, direct SDK ${fmt(p50.direct)} ms; the same SDK through Portkey adds ${fmt(addedBy('portkey'))} ms, ` +
        `the SDK proxy ${fmt(addedBy('sdkProxy'))} ms, the fetch proxy ${fmt(addedBy('fetchProxy'))} ms, callLlm ${fmt(addedBy('callLlm'))} ms)`,
      goal: '<= 1.0 ms',
      pass: added <= 1,
      details: { calls: times.openai.length, p50, p90 },
    });
    bench.report.add({
      id: 'openai.cpu.c1',
      name: '/v1/chat/completions gateway CPU per call, 1 connection, vs callLlm',
      measured: cpuPerCall.openai,
      unit: 'ms',
      value:
        `${fmt(cpuPerCall.openai)} ms per call (callLlm ${fmt(cpuPerCall.callLlm)} ms); PostgreSQL ${fmt(postgresPerCall.openai)} ms (callLlm ${fmt(postgresPerCall.callLlm)} ms); ` +
        `${fmt(rows / cpu.openai.calls, 2)} usage rows per call`,
      goal: "<= callLlm's",
      pass: cpuPerCall.openai <= cpuPerCall.callLlm,
      details: { cpu, cpuPerCall, postgresCpuMsPerCall: postgresPerCall, postgresCpuScope: db.postgresCpuScope, usageRowsPerCall: rows / cpu.openai.calls },
    });

    // ---- throughput at 10 connections beside the peers, interleaved rounds
    const targets: Record<Loaded, LoadTarget> = {
      portkey: peerTarget(peers.portkey),
      sdkProxy: peerTarget(peers.sdkProxy),
      fetchProxy: peerTarget(peers.fetchProxy),
      openai: { url: `${v1Url}/chat/completions`, body: V1_BODY, headers: gatewayHeaders, server: gateway, postgresCpuMs: db.postgresCpuMs },
    };
    const connections = 10;
    for (const name of LOADED) await load(targets[name], connections, 1);
    fake.server.reset();
    const runs: Record<Loaded, LoadResult[]> = { portkey: [], sdkProxy: [], fetchProxy: [], openai: [] };
    let loadRows = 0;
    await bench.profiled('openai-compat-throughput-10-connections', async () => {
      for (let round = 0; round < settings.rounds; round += 1) {
        for (const name of rotation(LOADED, round)) {
          const before = name === 'openai' ? await usageRows() : 0;
          runs[name].push(await load(targets[name], connections, settings.seconds));
          if (name === 'openai') loadRows += (await usageRows()) - before;
          fake.server.reset();
        }
      }
    });
    const rps = (name: Loaded) => median(runs[name].map((run) => run.requestsPerSecond));
    const cpuUnderLoad = (name: Loaded) => median(runs[name].map((run) => run.cpuMsPerRequest));
    const perRound = runs.openai.map((run, index) => run.requestsPerSecond / runs.portkey[index]!.requestsPerSecond);
    const ratio = median(perRound);
    const failures = Object.fromEntries(LOADED.map((name) => [name, Math.max(...runs[name].map(failureRate))])) as Record<Loaded, number>;
    const requests = runs.openai.reduce((sum, run) => sum + run.requests, 0);
    const postgres = median(runs.openai.map((run) => run.postgresCpuMsPerRequest));
    bench.report.add({
      id: 'openai.throughput-vs-portkey.c10',
      name: '/v1/chat/completions throughput, 10 connections, vs the Portkey gateway',
      measured: ratio,
      unit: 'x',
      value:
        `${fmt(ratio, 3)} x (Agora ${fmt(rps('openai'), 0)} req/s${failedNote(runs.openai)}, ${fmt(loadRows / Math.max(1, requests), 2)} usage rows per call; ` +
        `${PEER_NAMES.map((name) => `${PEER_LABELS[name]} ${fmt(rps(name), 0)}${failedNote(runs[name])}`).join(', ')} req/s); ` +
        `CPU per call: gateway ${fmt(cpuUnderLoad('openai'))} ms + PostgreSQL ${fmt(postgres)} ms, ${PEER_NAMES.map((name) => `${PEER_LABELS[name]} ${fmt(cpuUnderLoad(name))} ms`).join(', ')}`,
      goal: '>= 1.0 x',
      pass: failures.openai <= 0.01 && failures.portkey <= 0.01 && ratio >= 1,
      details: {
        connections,
        seconds: settings.seconds,
        rounds: settings.rounds,
        perRound,
        runs,
        usageRowsPerRequest: loadRows / Math.max(1, requests),
        postgresCpuMsPerCall: postgres,
        cpuMsPerCall: Object.fromEntries(LOADED.map((name) => [name, cpuUnderLoad(name)])),
      },
    });
  } finally {
    await peers.stop();
  }
}
