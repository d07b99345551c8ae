// `npm run bench`: measures the gateway against its goals on this machine, each figure beside its
// baseline in the same run (interleaved rounds, medians). See README.md, "Performance".
//   BENCH_QUICK=1    a smoke run (~1-2 minutes): fewer rows, requests and subscribers
//   BENCH_ONLY=a,b   only these figures: call, budgets, cache, openai, stream, reads, subscribers, usage, pdf, start, observability
//   BENCH_PROFILE=1  profile the gateway during each measured section (bench/results/profiles/)
//   DATABASE_URL     use this PostgreSQL server (the bench creates and drops its own database on it)
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { budgetsFigure } from './figures/budgets.figure.ts';
import { cacheHitFigure } from './figures/cache-hit.figure.ts';
import { callLlmFigure } from './figures/call-llm.figure.ts';
import { coldStartFigure } from './figures/cold-start.figure.ts';
import { llmStreamFigure } from './figures/llm-stream.figure.ts';
import { observabilityFigure } from './figures/observability.figure.ts';
import { openAiCompatFigure } from './figures/openai-compat.figure.ts';
import { pdfExportFigure } from './figures/pdf-export.figure.ts';
import { readThroughputFigure } from './figures/reads.figure.ts';
import { subscribersFigure } from './figures/subscribers.figure.ts';
import { usageFigure } from './figures/usage.figure.ts';
import { type Bench, openBench, RESULTS, type Settings } from './support/bench.ts';
import { Report, verdictOf } from './support/report.ts';

const FIGURES: [string, (bench: Bench) => Promise<void>][] = [
  ['call', callLlmFigure],
  ['budgets', budgetsFigure],
  ['cache', cacheHitFigure],
  ['openai', openAiCompatFigure],
  ['stream', llmStreamFigure],
  ['reads', readThroughputFigure],
  ['subscribers', subscribersFigure],
  ['usage', usageFigure],
  ['pdf', pdfExportFigure],
  ['start', coldStartFigure],
  ['observability', observabilityFigure],
];

const quick = process.env.BENCH_QUICK === '1';
const settings: Settings = {
  quick,
  profile: process.env.BENCH_PROFILE === '1',
  seconds: quick ? 2 : 5,
  rounds: quick ? 1 : 3,
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'info',
};
const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim()).filter(Boolean) ?? null;
const unknown = only?.filter((name) => !FIGURES.some(([id]) => id === name)) ?? [];
if (unknown.length) {
  console.error(`Unknown figure(s) in BENCH_ONLY: ${unknown.join(', ')}. Known: ${FIGURES.map(([id]) => id).join(', ')}.`);
  process.exit(2);
}

// Every loop is bounded; this bounds the whole run too, whatever hangs.
const HARD_LIMIT_MS = (quick ? 8 : 25) * 60_000;
setTimeout(() => {
  console.error(`The bench exceeded ${HARD_LIMIT_MS / 60_000} minutes and stops.`);
  process.exit(3);
}, HARD_LIMIT_MS).unref();

const started = performance.now();
const report = new Report();
const bench = await openBench(settings, report);
process.once('SIGINT', () => {
  void bench.close().finally(() => process.exit(130));
});
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const database = `PostgreSQL ${bench.db.serverVersion} (${bench.db.external ? 'DATABASE_URL server' : 'embedded'})`;
console.log(`Agora benchmarks${quick ? ' (quick)' : ''}${settings.profile ? ' (profiling: figures are distorted)' : ''}`);
console.log(`${machine}; ${database}; gateway in a child process (NODE_ENV=production, LOG_LEVEL=${settings.logLevel}, pool 10)\n`);

let failed: unknown = null;
try {
  for (const [id, figure] of FIGURES) {
    if (only && !only.includes(id)) continue;
    const figureStarted = performance.now();
    try {
      await figure(bench);
    } catch (error) {
      // One broken figure must not hide the others: say so in the table and go on.
      failed = error;
      console.error(`figure "${id}" failed:`, error);
      report.add({ id: `${id}.error`, name: `${id}: could not be measured`, measured: Number.NaN, unit: '', value: String((error as Error).message ?? error).split('\n')[0]!, goal: '-', pass: false, details: {} });
    }
    console.log(`      (${id}: ${((performance.now() - figureStarted) / 1000).toFixed(0)} s)`);
  }
} finally {
  await bench.close();
}

const when = new Date().toISOString();
const minutes = (performance.now() - started) / 60_000;
const stem = settings.profile ? 'profiled' : only ? 'partial' : quick ? 'quick' : 'latest';
const header =
  `Measured ${when.slice(0, 16).replace('T', ' ')} UTC on ${machine}; ${database}; ${quick ? 'quick run' : 'full run'}` +
  `${settings.profile ? ' with the profiler on' : ''}, ${minutes.toFixed(1)} minutes.`;
await report.write(join(RESULTS, `${stem}.json`), join(RESULTS, `${stem}.md`), { when, machine, database, settings, only, minutes }, header);
console.log(`\n${report.markdown(header)}\n\nWritten to bench/results/${stem}.json and bench/results/${stem}.md`);
const misses = report.figures.filter((figure) => verdictOf(figure) === 'MISS').length;
console.log(`${report.figures.length} figures, ${misses} missed their goal, in ${minutes.toFixed(1)} minutes.`);
process.exit(failed ? 1 : 0);
