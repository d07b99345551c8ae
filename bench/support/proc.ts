// Per-process figures from Linux's /proc, for processes the bench did not fork itself (PostgreSQL's) and
// for memory: CPU time and resident memory by pid.
import { readdir, readFile } from 'node:fs/promises';

const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  /** utime + stime, in ms (clock-tick resolution: 10 ms). */
  ownMs: number;
  /** cutime + cstime: children that exited and were reaped, in ms. */
  reapedChildrenMs: number;
}

async function readStat(pid: number): Promise<ProcStat | null> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its ")".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (position: number) => Number(fields[position - 3]);
  return {
    ppid: field(4),
    ownMs: ((field(14) + field(15)) * 1000) / TICKS_PER_SECOND,
    reapedChildrenMs: ((field(16) + field(17)) * 1000) / TICKS_PER_SECOND,
  };
}

/**
 * A process's CPU time (user + system) in ms. The same total as utime + stime, read from schedstat's
 * on-CPU nanoseconds when the kernel has them: utime and stime count 10 ms ticks, too coarse for a block
 * of a few streams spread over a dozen PostgreSQL processes. (schedstat is the main thread's: right for
 * single-threaded processes like PostgreSQL's, not for Node, whose children report process.cpuUsage().)
 */
export async function processCpuMs(pid: number): Promise<number | null> {
  const schedstat = await readFile(`/proc/${pid}/schedstat`, 'utf8').catch(() => null);
  const onCpuNs = schedstat === null ? Number.NaN : Number(schedstat.split(' ')[0]);
  if (Number.isFinite(onCpuNs) && onCpuNs > 0) return onCpuNs / 1e6;
  return (await readStat(pid))?.ownMs ?? null;
}

/** Pids of the live processes whose parent is `parent`. */
export async function childrenOf(parent: number): Promise<number[]> {
  const entries = await readdir('/proc');
  const children: number[] = [];
  await Promise.all(
    entries.map(async (entry) => {
      const pid = Number(entry);
      if (!Number.isInteger(pid)) return;
      if ((await readStat(pid))?.ppid === parent) children.push(pid);
    }),
  );
  return children;
}

/**
 * The CPU time of a process tree one level deep (a PostgreSQL postmaster and its backends and workers):
 * the postmaster's own, its children's that are alive, and its reaped children's (a backend that exited
 * between two readings moves from the second term to the third). Null when the process is gone.
 */
export async function processFamilyCpuMs(root: number): Promise<number | null> {
  const stat = await readStat(root);
  const own = await processCpuMs(root);
  if (!stat || own === null) return null;
  const children = await Promise.all((await childrenOf(root)).map((pid) => processCpuMs(pid)));
  return own + stat.reapedChildrenMs + children.reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
}

/** The sum of the CPU time of these processes, in ms (those gone are left out). */
export async function processesCpuMs(pids: readonly number[]): Promise<number> {
  const each = await Promise.all(pids.map((pid) => processCpuMs(pid)));
  return each.reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
}

/** The process's executable name (/proc/<pid>/comm: "postgres" for every PostgreSQL process), or null when there is no such process. */
export async function commandOf(pid: number): Promise<string | null> {
  const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => null);
  return comm === null ? null : comm.trim();
}

/** A line of /proc/<pid>/status in bytes (VmRSS: resident now; VmHWM: the peak resident size so far). */
export async function memoryBytes(pid: number, line: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${line}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${line} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
