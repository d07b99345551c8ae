// Figure: what spend control's admission stage adds to a call. Two members call `callLlm` in rotating
// order, one connection, each call waiting for the previous one: one under a USER budget and a PROJECT
// budget (its call names the project: every call reserves under both and settles in its usage statement),
// the other under none (no SQL for budgets at all). Added latency: p50(budgeted) - p50(unbudgeted).
// Beside it, the same difference for the ledger's statements alone (a bare client in this process, one
// call's pair at a time: the reservation that opens the PENDING row and the budgeted settlement, against the
// plain PENDING row and settlement), which is what PostgreSQL's work on the two budget rows costs a call.
// Then throughput at 10 connections with every call under one GLOBAL budget (one budget row that every
// reservation and settlement locks) beside the same load under none, in interleaved rounds.
import { BudgetLedger } from '../../src/modules/budgets/budgets.ledger.ts';
import { RoutingCache } from '../../src/modules/providers/routing-cache.ts';
import { type PendingEntry, type UsageEntry, UsageWriter } from '../../src/modules/usage/usage.writer.ts';
import type { Bench } from '../support/bench.ts';
import { load, type LoadResult } from '../support/load.ts';
import { cpuMs, Deadline, fmt, median, percentile, rotation } from '../support/stats.ts';

const call = (projectId: string) =>
  JSON.stringify({ query: 'mutation($p: ID) { callLlm(input: { prompt: "hi", maxTokens: 16, projectId: $p }) { text cost } }', variables: { p: projectId } });

export async function budgetsFigure(bench: Bench): Promise<void> {
  const { settings, gateway } = bench;
  const budgeted = await bench.createUser('bench-budgeted@example.com');
  const free = await bench.createUser('bench-unbudgeted@example.com');
  const project = async (token: string) =>
    (await bench.graphql<{ createProject: { id: string } }>('mutation { createProject(input: { name: "bench budgets" }) { id } }', {}, token)).createProject.id;
  const budgetedProject = await project(budgeted.token);
  const freeProject = await project(free.token);
  await bench.graphql('mutation($input: SetBudgetInput!) { setBudget(input: $input) { id } }', {
    input: { scope: 'USER', userId: budgeted.id, period: 'DAY', limit: '1000000.00' },
  });
  await bench.graphql('mutation($input: SetBudgetInput!) { setBudget(input: $input) { id } }', {
    input: { scope: 'PROJECT', projectId: budgetedProject, period: 'MONTH', limit: '1000000.00' },
  });
  const send = (token: string, projectId: string) => async () => {
    const response = await fetch(bench.httpUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: call(projectId) });
    const body = (await response.json()) as { data?: { callLlm?: { text: string } }; errors?: unknown };
    if (!body.data?.callLlm) throw new Error(`callLlm failed: ${JSON.stringify(body.errors)}`);
  };
  const calls = { unbudgeted: send(free.token, freeProject), budgeted: send(budgeted.token, budgetedProject) };
  type Name = keyof typeof calls;
  const names = Object.keys(calls) as Name[];
  for (let i = 0; i < 30; i += 1) for (const name of names) await calls[name]();

  const times: Record<Name, number[]> = { unbudgeted: [], budgeted: [] };
  const iterations = settings.quick ? 200 : 600;
  const deadline = new Deadline(settings.quick ? 20 : 60);
  const cpuBefore = await gateway.cpu();
  await bench.profiled('budgets-latency-1-connection', async () => {
    for (let i = 0; i < iterations && !deadline.passed; i += 1) {
      for (const name of rotation(names, i)) {
        const started = performance.now();
        await calls[name]();
        times[name].push(performance.now() - started);
      }
    }
  });
  const cpuPerPair = cpuMs(cpuBefore, await gateway.cpu()) / times.budgeted.length;
  bench.fake.server.reset();
  const p50 = { unbudgeted: median(times.unbudgeted), budgeted: median(times.budgeted) };
  const added = p50.budgeted - p50.unbudgeted;
  const alone = await ledgerAlone(bench, { id: budgeted.id, projectId: budgetedProject }, { id: free.id, projectId: freeProject }, settings.quick ? 300 : 1000);
  bench.report.add({
    id: 'budgets.added-latency.c1',
    name: 'callLlm under a USER and a PROJECT budget, added latency over the same call under none, p50, 1 connection',
    measured: added,
    unit: 'ms',
    value:
      `${fmt(added)} ms (budgeted ${fmt(p50.budgeted)} ms, unbudgeted ${fmt(p50.unbudgeted)} ms); gateway CPU ${fmt(cpuPerPair)} ms per pair of calls; ` +
      `the ledger's two statements alone from a bare client, one call at a time: ${fmt(alone.budgeted - alone.unbudgeted)} ms more under the budgets ` +
      `(${fmt(alone.budgeted)} vs ${fmt(alone.unbudgeted)} ms per call)`,
    goal: '<= 0.3 ms',
    pass: added <= 0.3,
    details: {
      calls: times.budgeted.length,
      p50,
      p90: { unbudgeted: percentile(times.unbudgeted, 90), budgeted: percentile(times.budgeted, 90) },
      gatewayCpuMsPerPair: cpuPerPair,
      ledgerStatementsAloneP50: alone,
    },
  });

  await globalBudgetThroughput(bench, free.token, freeProject);
}

/**
 * A call's two ledger statements through the gateway's own UsageWriter and BudgetLedger (prepared the same
 * way), from this process, one call at a time, alternating a member under the two budgets and one under none:
 * p50 of each call's pair, in ms. The budgets' targets are cached as in the gateway (no lookup per call).
 */
async function ledgerAlone(
  bench: Bench,
  budgeted: { id: string; projectId: string },
  free: { id: string; projectId: string },
  calls: number,
): Promise<{ budgeted: number; unbudgeted: number }> {
  const em = bench.db.orm.em.fork();
  const ledger = new BudgetLedger(em, { cache: new RoutingCache() });
  const usage = new UsageWriter(em);
  const pending = (who: { id: string; projectId: string }): PendingEntry => ({
    userId: who.id, projectId: who.projectId, provider: 'OPENAI', model: 'gpt-4o-mini', streamed: false, tags: [], deadlineAt: new Date(Date.now() + 3_600_000),
  });
  const entry = (who: { id: string; projectId: string }): UsageEntry => ({
    ...pending(who), inputTokens: 12, outputTokens: 7, cost: '0.00000600', latencyMs: 3, status: 'SUCCEEDED', errorClass: null, attempts: 1,
  });
  const pairs = {
    unbudgeted: async () => usage.settle(await usage.open(pending(free)), entry(free)),
    budgeted: async () => {
      const reservation = await ledger.reserve({ id: budgeted.id, role: 'MEMBER' }, budgeted.projectId, () => ({ maxCost: '0.00010000', unbounded: null }), pending(budgeted));
      if (!reservation?.usageId) throw new Error('the budgeted member has no budget that holds a reservation on its row');
      await usage.settle(reservation.usageId, { ...entry(budgeted), settlement: ledger.settlement(reservation, '0.00000600', 'SUCCEEDED') });
    },
  };
  type Name = keyof typeof pairs;
  const names = Object.keys(pairs) as Name[];
  const times: Record<Name, number[]> = { unbudgeted: [], budgeted: [] };
  for (let i = 0; i < 50; i += 1) for (const name of names) await pairs[name]();
  for (let i = 0; i < calls; i += 1) {
    for (const name of rotation(names, i)) {
      const started = performance.now();
      await pairs[name]();
      times[name].push(performance.now() - started);
    }
  }
  return { budgeted: median(times.budgeted), unbudgeted: median(times.unbudgeted) };
}

async function globalBudgetThroughput(bench: Bench, token: string, projectId: string): Promise<void> {
  const { settings, gateway } = bench;
  const target = {
    url: bench.httpUrl,
    body: call(projectId),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    server: gateway,
    postgresCpuMs: bench.db.postgresCpuMs,
  };
  const runs: Record<'none' | 'global', LoadResult[]> = { none: [], global: [] };
  await load(target, 10, 1);
  for (let round = 0; round < settings.rounds; round += 1) {
    runs.none.push(await load(target, 10, settings.seconds));
    const { setBudget } = await bench.graphql<{ setBudget: { id: string } }>('mutation($input: SetBudgetInput!) { setBudget(input: $input) { id } }', {
      input: { scope: 'GLOBAL', period: 'MONTH', limit: '1000000.00' },
    });
    try {
      runs.global.push(await load(target, 10, settings.seconds));
    } finally {
      await bench.graphql('mutation($id: ID!) { deleteBudget(id: $id) }', { id: setBudget.id });
    }
  }
  const of = (name: keyof typeof runs) => ({
    requestsPerSecond: median(runs[name].map((run) => run.requestsPerSecond)),
    gatewayCpuMs: median(runs[name].map((run) => run.cpuMsPerRequest)),
    postgresCpuMs: median(runs[name].map((run) => run.postgresCpuMsPerRequest)),
    p50Ms: median(runs[name].map((run) => run.p50Ms)),
    non2xx: runs[name].reduce((sum, run) => sum + run.non2xx, 0),
  });
  const [none, global] = [of('none'), of('global')];
  const ratio = global.requestsPerSecond / none.requestsPerSecond;
  bench.report.add({
    id: 'budgets.global-throughput.c10',
    name: 'callLlm throughput, 10 connections, every call under one GLOBAL budget, vs the same under none',
    measured: ratio,
    unit: 'x',
    value:
      `${ratio.toFixed(3)} x (${global.requestsPerSecond.toFixed(0)} vs ${none.requestsPerSecond.toFixed(0)} req/s; p50 ${fmt(global.p50Ms)} vs ${fmt(none.p50Ms)} ms; ` +
      `CPU per call: gateway ${fmt(global.gatewayCpuMs)} vs ${fmt(none.gatewayCpuMs)} ms, PostgreSQL ${fmt(global.postgresCpuMs)} vs ${fmt(none.postgresCpuMs)} ms)`,
    goal: 'ratio reported',
    pass: null,
    details: { rounds: settings.rounds, none, global, non2xx: none.non2xx + global.non2xx },
  });
}
