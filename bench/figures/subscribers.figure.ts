// Figure 5: many WebSocket subscribers (graphql-ws, `analysisProgress(runId)`) on one incident analysis
// streaming through the fake OpenAI server (a few dozen deltas, 60 ms apart). The subscribers live in a
// child process of their own and are all subscribed (each has had its first, replayed event) before the
// fake lets the provider call through; only events stamped after that moment count. Latency is receipt
// time minus the event's `at` (stamped by the gateway when it creates the event, before storing and
// publishing it), both wall-clock on this machine; `at` has millisecond resolution.
import { join } from 'node:path';
import { AI_ANSWER } from '../../test/support/analysis.ts';
import { type Bench, ROOT } from '../support/bench.ts';
import { type ChildHandle, startChild } from '../support/child-process.ts';
import { cpuMs, fmt, median, percentile, sleep } from '../support/stats.ts';

const PROGRESS = 'subscription($runId: ID!) { analysisProgress(runId: $runId) { runId seq stage status progress delta at } }';

interface Collected {
  latencies: number[];
  events: { seq: number; count: number; first: number; last: number }[];
  completed: number;
  errored: number;
  timedOut: boolean;
  deliveries: number;
}

async function followOneRun(bench: Bench, subscribers: ChildHandle, count: number, incidentId: string) {
  const connected = await subscribers.call<{ connected: number; failed: number; ms: number }>('connect', { count, timeoutMs: 90_000 }, 120_000);
  const gate = bench.fake.hold();
  try {
    const { analyzeIncident: run } = await bench.graphql<{ analyzeIncident: { id: string } }>('mutation($id: ID!) { analyzeIncident(incidentId: $id) { id } }', { id: incidentId });
    const subscribed = await subscribers.call<{ subscribed: number; allReceivedFirst: boolean }>('subscribe', { runId: run.id, query: PROGRESS, timeoutMs: 90_000 }, 120_000);
    // Let the last subscriptions settle from their replay into following live events.
    await sleep(500);
    const cpuBefore = await bench.gateway.cpu();
    const clientCpuBefore = await subscribers.cpu();
    const since = Date.now();
    const collected = await bench.profiled(`subscribers-${count}`, async () => {
      gate.release();
      return subscribers.call<Collected>('collect', { since, timeoutMs: 90_000 }, 120_000);
    });
    const cpu = cpuMs(cpuBefore, await bench.gateway.cpu());
    const clientCpu = cpuMs(clientCpuBefore, await subscribers.cpu());
    const { analysisRun } = await bench.graphql<{ analysisRun: { status: string; error: string | null } }>('query($id: ID!) { analysisRun(id: $id) { status error } }', { id: run.id });
    return { connected, subscribed, collected, cpu, clientCpu, status: analysisRun.status };
  } finally {
    gate.release();
    await subscribers.call('dispose', undefined, 60_000);
  }
}

export async function subscribersFigure(bench: Bench): Promise<void> {
  const count = bench.settings.quick ? 100 : 1000;
  bench.fake.server.script({ text: AI_ANSWER, deltas: AI_ANSWER.match(/.{1,8}/gs) ?? [AI_ANSWER], frameDelayMs: 60 });
  const { createIncident } = await bench.graphql<{ createIncident: { id: string } }>(
    'mutation { createIncident(input: { title: "bench: api pods OOM-killed", severity: HIGH, service: "api" }) { id } }',
  );
  const subscribers = await startChild('subscribers', join(ROOT, 'bench/children/subscribers.child.ts'), {
    env: { WS_URL: bench.wsUrl, TOKEN: bench.admin.token },
  });
  try {
    // The baseline: the same run shape with one subscriber.
    const single = await followOneRun(bench, subscribers, 1, createIncident.id);
    const many = await followOneRun(bench, subscribers, count, createIncident.id);
    const { latencies } = many.collected;
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const spread = median(many.collected.events.map((event) => event.last - event.first));
    const complete = many.collected.completed === count && !many.collected.timedOut;
    bench.report.add({
      id: 'subscribers.latency',
      name: `${count} WebSocket subscribers on one analysis run, event latency`,
      measured: p99,
      unit: 'ms',
      value:
        `p50 ${fmt(p50, 1)} ms, p99 ${fmt(p99, 1)} ms, max ${fmt(Math.max(...latencies), 1)} ms over ${latencies.length} live deliveries of ${many.collected.events.length} events ` +
        `(first to last subscriber per event: ${fmt(spread, 1)} ms; one subscriber alone: p50 ${fmt(percentile(single.collected.latencies, 50), 1)} ms, p99 ${fmt(percentile(single.collected.latencies, 99), 1)} ms); ` +
        `gateway CPU ${fmt(many.cpu / Math.max(1, many.collected.deliveries), 3)} ms per delivery` +
        // The subscribers share the machine's two cores with the gateway: their own work is in the latency too.
        `, the subscribers' process ${fmt(many.clientCpu / Math.max(1, many.collected.deliveries), 3)} ms per delivery received` +
        (complete ? '' : `; only ${many.collected.completed} of ${count} subscriptions completed`),
      goal: 'p99 <= 50 ms',
      pass: latencies.length > 0 && complete && p99 <= 50,
      details: {
        subscribers: count,
        connected: many.connected,
        subscribed: many.subscribed,
        runStatus: many.status,
        p50,
        p90: percentile(latencies, 90),
        p99,
        deliveries: many.collected.deliveries,
        completed: many.collected.completed,
        errored: many.collected.errored,
        perEvent: many.collected.events,
        gatewayCpuMs: many.cpu,
        subscribersCpuMs: many.clientCpu,
        single: { p50: percentile(single.collected.latencies, 50), p99: percentile(single.collected.latencies, 99), deliveries: single.collected.latencies.length, runStatus: single.status },
      },
    });
  } finally {
    await subscribers.stop();
    bench.fake.server.reset();
  }
}
