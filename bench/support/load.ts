// Load from autocannon, in a process of its own (it must not share the measured process's event loop or
// CPU account), against 127.0.0.1 only, for a fixed number of seconds.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildHandle } from './child-process.ts';
import { cpuMs, fmt, within } from './stats.ts';

const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));

export interface LoadTarget {
  url: string;
  body?: string;
  headers?: Record<string, string>;
  /** The process serving the target, whose CPU is charged to its requests ('self': this process). */
  server: ChildHandle | 'self';
  /** Reads PostgreSQL's CPU so far (ms), to charge it to the requests too, apart from the server's. */
  postgresCpuMs?: () => Promise<number>;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** The serving process's CPU time per completed request. */
  cpuMsPerRequest: number;
  /** PostgreSQL's CPU time over the run (ms) and per completed request; NaN when not read. */
  postgresCpuMs: number;
  postgresCpuMsPerRequest: number;
}

interface AutocannonJson {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

export async function load(target: LoadTarget, connections: number, seconds: number): Promise<LoadResult> {
  if (!new URL(target.url).hostname.startsWith('127.')) throw new Error(`load only goes to 127.0.0.1, not ${target.url}`);
  const args = [AUTOCANNON, '-j', '-n', '-c', String(connections), '-d', String(seconds), '-t', '30'];
  if (target.body !== undefined) args.push('-m', 'POST', '-b', target.body);
  for (const [name, value] of Object.entries(target.headers ?? {})) args.push('-H', `${name}=${value}`);
  args.push(target.url);
  const readCpu = () => (target.server === 'self' ? Promise.resolve(process.cpuUsage()) : target.server.cpu());
  const readPostgres = target.postgresCpuMs ?? (() => Promise.resolve(Number.NaN));
  const postgresBefore = await readPostgres();
  const before = await readCpu();
  const output = await within(
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`autocannon exited ${code}: ${stderr}`))));
    }),
    (seconds + 60) * 1000,
    'autocannon',
  );
  const after = await readCpu();
  const postgresCpuMs = (await readPostgres()) - postgresBefore;
  const result = JSON.parse(output) as AutocannonJson;
  const requests = result.requests.total;
  return {
    connections,
    seconds,
    requestsPerSecond: requests / result.duration,
    requests,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    cpuMsPerRequest: requests ? cpuMs(before, after) / requests : Number.NaN,
    postgresCpuMs,
    postgresCpuMsPerRequest: requests ? postgresCpuMs / requests : Number.NaN,
  };
}

/** Requests that did not succeed at the HTTP level, as a fraction of all. */
export function failureRate(result: LoadResult): number {
  const failed = result.errors + result.timeouts + result.non2xx;
  return failed / Math.max(1, result.requests + result.errors + result.timeouts);
}

/** " (x% failed)" when a run lost requests: a fast answer that is an error must not read as speed. */
export function failedNote(runs: readonly LoadResult[]): string {
  const worst = Math.max(0, ...runs.map(failureRate));
  return worst > 0 ? ` (${fmt(100 * worst, 1)}% failed)` : '';
}
