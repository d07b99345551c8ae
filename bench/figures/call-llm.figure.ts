// Figure 1: what `callLlm` adds over calling the provider directly with its SDK, beside its peers: the
// Portkey gateway, a bare node:http + `openai` SDK proxy and a bare node:http + fetch proxy
// (bench/support/baselines.ts), all answered by the same fake OpenAI server.
//
// Latency, one connection: the bench process calls, in rotating order, (a) the fake with the `openai` SDK
// (maxRetries 0), (b) each peer over HTTP, (c) the gateway's `callLlm`; each call waits for the previous
// one. The added latency of each is p50(it) - p50(direct SDK).
// Throughput: autocannon (its own process) against (a) the fake itself with the body the SDK sends, the
// most the provider side can answer on this machine, (b) the peers, (c) the gateway, interleaved; at 10
// connections all of them, at 50 the fake, the SDK proxy and the gateway. Ratios are taken per round, then
// the median. CPU per call is each serving process's own; PostgreSQL's is counted apart, from /proc (every
// process of the embedded instance: see BenchDatabase.postgresCpuMs). Memory: the gateway's VmRSS, read
// from /proc after each of its load runs.
import OpenAI from 'openai';
import { initOrm } from '../../src/db/database.ts';
import { UsageWriter } from '../../src/modules/usage/usage.writer.ts';
import type { Bench } from '../support/bench.ts';
import { callPeer, FAKE_API_KEY, JSON_HEADERS, PEER_LABELS, PEER_NAMES, peerTarget, type Peers, SDK_BODY, startPeers } from '../support/baselines.ts';
import { failedNote, failureRate, load, type LoadResult, type LoadTarget } from '../support/load.ts';
import { memoryBytes } from '../support/proc.ts';
import { cpuMs, Deadline, fmt, median, percentile, rotation } from '../support/stats.ts';

interface GatewayMemory {
  rss: number;
  heapUsed: number;
  heapSpaces: { name: string; size: number; used: number }[];
}

const CALL = JSON.stringify({ query: 'mutation { callLlm(input: { prompt: "hi" }) { text tokensUsed cost } }' });
const NAMES = ['direct', ...PEER_NAMES, 'gateway'] as const;
type Name = (typeof NAMES)[number];
/** At 50 connections: the figure as it was before the peers (the fake, the SDK proxy, the gateway). */
const AT_50: readonly Name[] = ['direct', 'sdkProxy', 'gateway'];

function listOf<T>(): Record<Name, T[]> {
  return { direct: [], portkey: [], sdkProxy: [], fetchProxy: [], gateway: [] };
}

export async function callLlmFigure(bench: Bench): Promise<void> {
  const { settings, fake, gateway, db } = bench;
  const openai = new OpenAI({ apiKey: FAKE_API_KEY, baseURL: fake.baseUrl, maxRetries: 0 });
  const peers: Peers = await startPeers(fake);
  const usageRows = async () => Number((await db.sql.query<{ count: string }>('select count(*) from specs.usage_records')).rows[0]!.count);
  const gatewayHeaders = { ...JSON_HEADERS, authorization: `Bearer ${bench.admin.token}` };
  const post = (url: string, body: string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers, body }).then((response) => response.text());
  try {
    const calls: Record<Name, () => Promise<unknown>> = {
      direct: () => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      portkey: () => callPeer(peers.portkey),
      sdkProxy: () => callPeer(peers.sdkProxy),
      fetchProxy: () => callPeer(peers.fetchProxy),
      gateway: () => post(bench.httpUrl, CALL, gatewayHeaders),
    };
    const answer = JSON.parse(String(await calls.gateway())) as { data?: { callLlm?: { text?: string } }; errors?: unknown };
    if (!answer.data?.callLlm?.text) throw new Error(`callLlm does not answer: ${JSON.stringify(answer)}`);

    // ---- one connection: sequential calls, interleaved
    const times = listOf<number>();
    for (let i = 0; i < 30; i += 1) for (const name of NAMES) await calls[name]();
    const iterations = settings.quick ? 150 : 500;
    const rowsBefore = await usageRows();
    const postgresBefore = await db.postgresCpuMs();
    const cpuBefore = await gateway.cpu();
    const deadline = new Deadline(settings.quick ? 25 : 90);
    await bench.profiled('call-latency-1-connection', async () => {
      for (let i = 0; i < iterations && !deadline.passed; i += 1) {
        for (const name of rotation(NAMES, i)) {
          const started = performance.now();
          await calls[name]();
          times[name].push(performance.now() - started);
        }
      }
    });
    const gatewayCpu = cpuMs(cpuBefore, await gateway.cpu()) / times.gateway.length;
    // Over the whole loop: the peers' calls in between leave PostgreSQL idle but for the job queue's polls.
    const postgresCpu = ((await db.postgresCpuMs()) - postgresBefore) / times.gateway.length;
    const rowsPerCall = ((await usageRows()) - rowsBefore) / times.gateway.length;
    fake.server.reset();
    const p50 = Object.fromEntries(NAMES.map((name) => [name, median(times[name])])) as Record<Name, number>;
    const p90 = Object.fromEntries(NAMES.map((name) => [name, percentile(times[name], 90)])) as Record<Name, number>;
    const addedBy = (name: Name) => p50[name] - p50.direct;
    const added = addedBy('gateway');
    bench.report.add({
      id: 'call.added-latency.c1',
      name: 'callLlm added latency over a direct SDK call, p50, 1 connection',
      measured: added,
      unit: 'ms',
      value:
        `${fmt(added)} ms (gateway ${fmt(p50.gateway)} ms, direct SDK ${fmt(p50.direct)} ms; added by ` +
        `${PEER_NAMES.map((name) => `${PEER_LABELS[name]} ${fmt(addedBy(name))} ms`).join(', ')}); ` +
        `gateway CPU ${fmt(gatewayCpu)} ms + PostgreSQL ${fmt(postgresCpu)} ms per call`,
      goal: '<= 1.5 ms',
      pass: added <= 1.5,
      details: { calls: times.gateway.length, p50, p90, addedMs: Object.fromEntries(NAMES.map((name) => [name, addedBy(name)])), gatewayCpuMsPerCall: gatewayCpu, postgresCpuMsPerCall: postgresCpu, postgresCpuScope: db.postgresCpuScope, usageRowsPerCall: rowsPerCall },
    });

    // ---- throughput under load, interleaved rounds
    const targets: Record<Name, LoadTarget> = {
      direct: { url: `${fake.baseUrl}/chat/completions`, body: SDK_BODY, headers: { ...JSON_HEADERS, authorization: `Bearer ${FAKE_API_KEY}` }, server: 'self' },
      portkey: peerTarget(peers.portkey),
      sdkProxy: peerTarget(peers.sdkProxy),
      fetchProxy: peerTarget(peers.fetchProxy),
      gateway: { url: bench.httpUrl, body: CALL, headers: gatewayHeaders, server: gateway },
    };
    // PostgreSQL is read around every run: under the gateway's it is the calls' cost; under the others',
    // the gateway sits idle and what PostgreSQL spends is its background (the job queue's polls).
    for (const target of Object.values(targets)) target.postgresCpuMs = db.postgresCpuMs;
    const rssAfterLoad: number[] = [];
    for (const connections of [10, 50]) {
      const measured = connections === 10 ? NAMES : AT_50;
      for (const name of measured) await load(targets[name], connections, 1);
      fake.server.reset();
      const runs = listOf<LoadResult>();
      let rows = 0;
      await bench.profiled(`call-throughput-${connections}-connections`, async () => {
        for (let round = 0; round < settings.rounds; round += 1) {
          for (const name of rotation(measured, round)) {
            const before = name === 'gateway' ? await usageRows() : 0;
            runs[name].push(await load(targets[name], connections, settings.seconds));
            if (name === 'gateway') {
              rows += (await usageRows()) - before;
              rssAfterLoad.push((await memoryBytes(gateway.pid, 'VmRSS')) / 1e6);
            }
            fake.server.reset();
          }
        }
      });
      // Per round: both sides of a ratio ran minutes apart at most, under the same neighbours.
      const perRound = (name: Name, of: Name) => runs[name].map((run, index) => run.requestsPerSecond / runs[of][index]!.requestsPerSecond);
      const rps = (name: Name) => median(runs[name].map((run) => run.requestsPerSecond));
      const cpu = (name: Name) => median(runs[name].map((run) => run.cpuMsPerRequest));
      const gatewayRequests = runs.gateway.reduce((sum, run) => sum + run.requests, 0);
      const postgres = median(runs.gateway.map((run) => run.postgresCpuMsPerRequest));
      const idleRuns = measured.filter((name) => name !== 'gateway').flatMap((name) => runs[name]);
      const postgresIdlePerSecond = median(idleRuns.map((run) => run.postgresCpuMs / run.seconds));
      const ratio = median(perRound('gateway', 'direct'));
      const peerNames = PEER_NAMES.filter((name) => measured.includes(name));
      bench.report.add({
        id: `call.throughput.c${connections}`,
        name: `callLlm throughput, ${connections} connections, vs the fake provider itself`,
        measured: ratio,
        unit: 'x',
        value:
          `${fmt(ratio, 3)} x (gateway ${fmt(rps('gateway'), 0)} req/s, p50 ${median(runs.gateway.map((run) => run.p50Ms))} ms${failedNote(runs.gateway)}; ` +
          `fake directly ${fmt(rps('direct'), 0)} req/s; ` +
          `${peerNames.map((name) => `${PEER_LABELS[name]} ${fmt(median(perRound(name, 'direct')), 3)} x${failedNote(runs[name])}`).join(', ')}); ` +
          `gateway CPU ${fmt(cpu('gateway'))} ms + PostgreSQL ${fmt(postgres)} ms per call`,
        goal: 'ratio reported',
        pass: null,
        details: {
          connections,
          seconds: settings.seconds,
          rounds: settings.rounds,
          ratiosToFake: Object.fromEntries(measured.map((name) => [name, perRound(name, 'direct')])),
          runs,
          usageRowsPerRequest: rows / Math.max(1, gatewayRequests),
          postgresCpuMsPerCall: postgres,
          postgresIdleCpuMsPerSecond: postgresIdlePerSecond,
        },
      });
      if (connections !== 10) continue;

      // The goals of issue 20, against Portkey in the same rounds.
      const failed = Math.max(...runs.gateway.map(failureRate), ...runs.portkey.map(failureRate)) > 0.01;
      const versusPortkey = median(perRound('gateway', 'portkey'));
      const peerRates = PEER_NAMES.map((name) => `${PEER_LABELS[name]} ${fmt(rps(name), 0)}${failedNote(runs[name])}`).join(', ');
      bench.report.add({
        id: 'call.throughput-vs-portkey.c10',
        name: 'callLlm throughput, 10 connections, vs the Portkey gateway',
        measured: versusPortkey,
        unit: 'x',
        value: `${fmt(versusPortkey, 3)} x (gateway ${fmt(rps('gateway'), 0)} req/s${failedNote(runs.gateway)}; ${peerRates} req/s)`,
        goal: '>= 0.8 x',
        pass: !failed && versusPortkey >= 0.8,
        details: { perRound: perRound('gateway', 'portkey'), requestsPerSecond: Object.fromEntries(NAMES.map((name) => [name, rps(name)])) },
      });
      const cpuRatio = cpu('gateway') / cpu('portkey');
      bench.report.add({
        id: 'call.cpu-vs-portkey.c10',
        name: 'callLlm gateway CPU per call, 10 connections, vs the Portkey gateway',
        measured: cpuRatio,
        unit: 'x',
        value: `${fmt(cpuRatio)} x (gateway ${fmt(cpu('gateway'))} ms; ${PEER_NAMES.map((name) => `${PEER_LABELS[name]} ${fmt(cpu(name))} ms`).join(', ')}; PostgreSQL apart)`,
        goal: '<= 1.2 x',
        pass: !failed && cpuRatio <= 1.2,
        details: { cpuMsPerCall: Object.fromEntries(NAMES.filter((name) => name !== 'direct').map((name) => [name, cpu(name)])) },
      });
      const floor = await statementsAlone(bench, rps('gateway'), settings.seconds * 2);
      bench.report.add({
        id: 'call.postgres-cpu.c10',
        name: 'callLlm PostgreSQL CPU per call, 10 connections',
        measured: postgres,
        unit: 'ms',
        value:
          `${fmt(postgres, 3)} ms (${fmt(rows / Math.max(1, gatewayRequests), 2)} usage rows per call; ` +
          `PostgreSQL with the gateway idle: ${fmt(postgresIdlePerSecond, 1)} ms/s; ${db.postgresCpuScope}; Portkey and the proxies use none; ` +
          `the call's two statements alone, from a bare client over 10 connections at the gateway's rate: ${fmt(floor.postgresCpuMsPerCall, 3)} ms per call, ` +
          `${fmt(floor.callsPerSecond, 0)} pairs/s)`,
        goal: '<= 0.3 ms',
        pass: postgres <= 0.3,
        details: { perRun: runs.gateway.map((run) => run.postgresCpuMsPerRequest), postgresIdleCpuMsPerSecond: postgresIdlePerSecond, scope: db.postgresCpuScope, statementsAlone: floor },
      });
    }

    const rss = Math.max(...rssAfterLoad);
    const portkeyRss = (await memoryBytes(peers.portkey.child.pid, 'VmRSS')) / 1e6;
    const peak = (await memoryBytes(gateway.pid, 'VmHWM')) / 1e6;
    // What is live: the heap after a full collection, and the young generation V8 keeps reserved.
    const collected = await gateway.call<GatewayMemory>('memory', { collect: true });
    const space = (name: string) => collected.heapSpaces.find((candidate) => candidate.name === name)?.size ?? 0;
    const live = { heapUsedMB: collected.heapUsed / 1e6, rssMB: collected.rss / 1e6, youngGenerationMB: space('new_space') / 1e6 };
    bench.report.add({
      id: 'call.gateway-rss',
      name: 'gateway resident memory (VmRSS) after its callLlm load runs',
      measured: rss,
      unit: 'MB',
      value:
        `${fmt(rss, 0)} MB (highest of ${rssAfterLoad.length} readings, one after each run at 10 and 50 connections; peak so far ${fmt(peak, 0)} MB; Portkey ${fmt(portkeyRss, 0)} MB after its runs; ` +
        `after a full collection: heap ${fmt(live.heapUsedMB, 0)} MB live, RSS ${fmt(live.rssMB, 0)} MB, of which the young generation reserves ${fmt(live.youngGenerationMB, 0)} MB)`,
      goal: '<= 400 MB',
      pass: rss <= 400,
      details: { afterEachRunMB: rssAfterLoad, peakMB: peak, portkeyMB: portkeyRss, afterFullCollection: live },
    });
  } finally {
    await peers.stop();
  }
}

/**
 * The floor of the call's PostgreSQL cost: its two ledger statements (the PENDING row, then its settlement,
 * through the same UsageWriter, prepared the same way) sent from this process over 10 connections, paced
 * at the rate the gateway reached, with nothing else going on. What PostgreSQL spends per pair here is what
 * any gateway that keeps a row per call before and after the provider's answer pays at that rate.
 */
async function statementsAlone(bench: Bench, rate: number, seconds: number): Promise<{ postgresCpuMsPerCall: number; callsPerSecond: number }> {
  const orm = await initOrm(bench.db.url, 10);
  try {
    const workers = 10;
    const interval = (1000 * workers) / Math.max(1, rate);
    const pending = { userId: bench.admin.id, projectId: null, provider: 'OPENAI' as const, model: 'gpt-4o-mini', streamed: false, tags: [], deadlineAt: new Date(Date.now() + 3_600_000) };
    const pair = async () => {
      const writer = new UsageWriter(orm.em.fork());
      const id = await writer.open(pending);
      await writer.settle(id, { ...pending, inputTokens: 12, outputTokens: 7, cost: '0.00000600', latencyMs: 3, status: 'SUCCEEDED', errorClass: null, attempts: 1 });
    };
    for (let i = 0; i < 50; i += 1) await pair();
    let calls = 0;
    const before = await bench.db.postgresCpuMs();
    const started = performance.now();
    const end = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        let next = started + (worker * interval) / workers;
        while (next < end) {
          const wait = next - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          next += interval;
          await pair();
          calls += 1;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    return { postgresCpuMsPerCall: ((await bench.db.postgresCpuMs()) - before) / calls, callsPerSecond: calls / elapsed };
  } finally {
    await orm.close();
  }
}
