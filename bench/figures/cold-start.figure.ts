// Figure 6: `npm start` (node src/main.ts on Node 24, as a child process) until GET /readyz answers 200,
// on a fresh AGORA_DATA_DIR (initdb of the embedded PostgreSQL, migrations, pg-boss schema, the admin)
// and on a warm one (a second start on the same directory). The phases come from the gateway's own log
// lines, stamped as they arrive. Beside them, two baselines: Node itself starting (`node -e ""`) and
// loading the gateway's module graph (`import('./src/runtime.ts')`) without starting anything.
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/ports.ts';
import { type Bench, PROFILES, ROOT } from '../support/bench.ts';
import { summarizeProfileFile } from '../support/cpu-profile.ts';
import { fmt, median, sleep } from '../support/stats.ts';

interface Start {
  readyMs: number;
  databaseReadyMs: number;
  listeningMs: number;
}

async function nodeRuns(args: string[]): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`node ${args.join(' ')} exited ${code}`))));
  });
  return performance.now() - started;
}

async function startOnce(dataDir: string, profileDir: string | null): Promise<Start> {
  const port = await freePort();
  const env = { PATH: process.env.PATH ?? '', AGORA_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', AGORA_PG_PORT: String(await freePort()), NODE_ENV: 'development' };
  const args = [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), 'src/main.ts'];
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const marks = { databaseReadyMs: Number.NaN, listeningMs: Number.NaN };
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const at = performance.now() - started;
    output = (output + chunk.toString()).slice(-20_000);
    if (Number.isNaN(marks.databaseReadyMs) && output.includes('"msg":"database ready"')) marks.databaseReadyMs = at;
    if (Number.isNaN(marks.listeningMs) && output.includes('"msg":"Agora is listening')) marks.listeningMs = at;
  });
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    let readyMs = Number.NaN;
    // Bounded: 2,400 polls 25 ms apart, one minute at most.
    for (let attempt = 0; attempt < 2400 && child.exitCode === null; attempt += 1) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.status === 200, () => false);
      if (ok) {
        readyMs = performance.now() - started;
        break;
      }
      await sleep(25);
    }
    if (Number.isNaN(readyMs)) throw new Error(`the gateway did not become ready:\n${output}`);
    return { readyMs, ...marks };
  } finally {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  }
}

export async function coldStartFigure(bench: Bench): Promise<void> {
  const { settings } = bench;
  const root = await mkdtemp(join(tmpdir(), 'agora-bench-start-'));
  await chmod(root, 0o755);
  try {
    const nodeAlone: number[] = [];
    const modules: number[] = [];
    for (let i = 0; i < (settings.quick ? 2 : 5); i += 1) {
      nodeAlone.push(await nodeRuns(['-e', '']));
      modules.push(await nodeRuns(['--input-type=module', '-e', "await import('./src/runtime.ts'); process.exit(0)"]));
    }
    const fresh: Start[] = [];
    const warm: Start[] = [];
    const profileDir = settings.profile ? join(root, 'profiles') : null;
    if (profileDir) await mkdir(profileDir);
    for (let i = 0; i < (settings.quick ? 1 : 2); i += 1) {
      const dataDir = join(root, `data-${i}`);
      await mkdir(dataDir, { mode: 0o755 });
      fresh.push(await startOnce(dataDir, i === 0 ? profileDir : null));
      for (let j = 0; j < (settings.quick ? 1 : i === 0 ? 2 : 1); j += 1) warm.push(await startOnce(dataDir, i === 0 && j === 0 ? profileDir : null));
    }
    const phases = (starts: Start[]) =>
      `database ready at ${fmt(median(starts.map((start) => start.databaseReadyMs)) / 1000)} s, listening at ${fmt(median(starts.map((start) => start.listeningMs)) / 1000)} s`;
    const baselines = `Node alone ${fmt(median(nodeAlone), 0)} ms, loading the gateway's modules ${fmt(median(modules), 0)} ms`;
    for (const [id, label, starts] of [
      ['fresh', 'fresh data directory (initdb included)', fresh],
      ['warm', 'warm data directory (second start)', warm],
    ] as const) {
      const ready = median(starts.map((start) => start.readyMs));
      bench.report.add({
        id: `start.${id}`,
        name: `npm start to /readyz 200, ${label}`,
        measured: ready / 1000,
        unit: 's',
        value: `${fmt(ready / 1000)} s (${phases(starts)}; ${baselines}; median of ${starts.length})`,
        goal: 'reported',
        pass: null,
        details: { starts, nodeAloneMs: nodeAlone, moduleLoadMs: modules },
      });
    }
    if (profileDir) {
      await mkdir(PROFILES, { recursive: true });
      const files = (await readdir(profileDir)).filter((file) => file.endsWith('.cpuprofile')).sort();
      for (const [index, file] of files.entries()) {
        const name = index === 0 ? 'start-fresh' : 'start-warm';
        const summary = await summarizeProfileFile(join(profileDir, file), { title: `main process CPU profile (node --cpu-prof): ${name}` });
        await copyFile(join(profileDir, file), join(PROFILES, `${name}.cpuprofile`));
        await writeFile(join(PROFILES, `${name}.txt`), `${summary}\n`);
        console.log(`\n${summary.split('\n').slice(0, 30).join('\n')}\n`);
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
