// Reads a V8 .cpuprofile (what `node --cpu-prof` and the inspector's Profiler write) into a short text
// summary: where the busy time went by package, the hottest functions by self time, and our own
// functions by inclusive time. The .cpuprofile itself opens in Chrome DevTools for the full picture.
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const IDLE = new Set(['(idle)']);
const STACK_DEPTH = 10;

function pathOf(url: string): string {
  if (!url) return '';
  try {
    return url.startsWith('file://') ? fileURLToPath(url) : url;
  } catch {
    return url;
  }
}

/** The package (or our own source folder) a frame belongs to. */
export function packageOf(frame: CallFrame): string {
  const path = pathOf(frame.url);
  if (!path) return frame.functionName.startsWith('(') ? frame.functionName : '(V8 builtins)';
  if (path.startsWith('node:')) return 'node (core)';
  const modules = path.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const [first, second] = path.slice(modules + '/node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? path);
  }
  const local = relative(ROOT, path);
  if (local.startsWith('..')) return path;
  const parts = local.split('/');
  return parts.slice(0, parts[1] === 'modules' ? 3 : 2).join('/');
}

function frameKey(frame: CallFrame): string {
  const path = pathOf(frame.url);
  const where = path ? `${path.startsWith(ROOT) ? relative(ROOT, path) : path.replace(/^.*\/node_modules\//, '')}:${frame.lineNumber + 1}` : '';
  return `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

const percent = (part: number, whole: number) => `${((100 * part) / Math.max(whole, 1e-9)).toFixed(1).padStart(5)}%`;

export function summarizeProfile(profile: CpuProfile, options: { top?: number; title?: string } = {}): string {
  const top = options.top ?? 20;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];

  const selfByFunction = new Map<string, number>();
  // For the hottest functions: the stacks they were sampled in, to tell who calls them.
  const stacksByFunction = new Map<string, Map<string, number>>();
  const selfByPackage = new Map<string, number>();
  const inclusiveByPackage = new Map<string, number>();
  const inclusiveByOwnFunction = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (let index = 0; index < samples.length; index += 1) {
    // A sample stands for the time until the next one.
    const micros = deltas[index + 1] ?? deltas[index] ?? 0;
    const leaf = nodes.get(samples[index]!);
    if (!leaf) continue;
    if (IDLE.has(leaf.callFrame.functionName)) {
      idle += micros;
      continue;
    }
    busy += micros;
    const leafKey = frameKey(leaf.callFrame);
    selfByFunction.set(leafKey, (selfByFunction.get(leafKey) ?? 0) + micros);
    const leafPackage = packageOf(leaf.callFrame);
    selfByPackage.set(leafPackage, (selfByPackage.get(leafPackage) ?? 0) + micros);
    const packages = new Set<string>();
    const own = new Set<string>();
    const stack: string[] = [];
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const frame = nodes.get(id)!.callFrame;
      const name = packageOf(frame);
      packages.add(name);
      if (name.startsWith('src/')) own.add(frameKey(frame));
      if (stack.length < STACK_DEPTH && id !== leaf.id && frame.functionName !== '(root)') stack.push(frameKey(frame));
    }
    const stacks = stacksByFunction.get(leafKey) ?? new Map<string, number>();
    const stackKey = stack.join('\n          <- ');
    stacks.set(stackKey, (stacks.get(stackKey) ?? 0) + micros);
    stacksByFunction.set(leafKey, stacks);
    for (const name of packages) inclusiveByPackage.set(name, (inclusiveByPackage.get(name) ?? 0) + micros);
    for (const key of own) inclusiveByOwnFunction.set(key, (inclusiveByOwnFunction.get(key) ?? 0) + micros);
  }

  const table = (entries: Map<string, number>, count: number, whole: number) =>
    [...entries.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, micros]) => `  ${percent(micros, whole)}  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${key}`);
  const wall = (profile.endTime - profile.startTime) / 1000;
  return [
    ...(options.title ? [options.title] : []),
    `wall ${wall.toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms (${percent(busy, busy + idle).trim()}), idle ${(idle / 1000).toFixed(0)} ms`,
    '',
    'self time by package (share of busy time):',
    ...table(selfByPackage, 14, busy),
    '',
    'inclusive time by package (on the stack; shares overlap):',
    ...table(inclusiveByPackage, 14, busy),
    '',
    `top ${top} functions by self time:`,
    ...table(selfByFunction, top, busy),
    '',
    'our functions (src/) by inclusive time (async code: only up to its last await):',
    ...table(inclusiveByOwnFunction, top, busy),
    '',
    'heaviest callers of the top 8 functions:',
    ...[...selfByFunction.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .flatMap(([key, micros]) => {
        const [stack, stackMicros] = [...(stacksByFunction.get(key) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
        return [`  ${key} (${(micros / 1000).toFixed(0)} ms; ${percent(stackMicros, micros).trim()} of it from):`, `          <- ${stack || '(top level)'}`];
      }),
  ].join('\n');
}

export async function summarizeProfileFile(file: string, options: { top?: number; title?: string } = {}): Promise<string> {
  return summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, options);
}
