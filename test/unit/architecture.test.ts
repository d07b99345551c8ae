import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layering rules of ARCHITECTURE.md and README "Layout", checked on the source: a change that breaks
// one fails here, naming the import.
const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of every file under src/, as paths relative to src/. */
const IMPORTS = sourceFiles(SRC).map((file) => {
  const text = readFileSync(file, 'utf8');
  const targets = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)].map((match) => relative(SRC, resolve(dirname(file), match[1]!)));
  return { file: relative(SRC, file), targets };
});

/** The unit a file belongs to: modules/<name>, or the top folder (llm, graphql, ...), or the file itself. */
function unitOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'modules') return `modules/${parts[1]}`;
  return parts.length > 1 ? parts[0]! : path;
}

describe('the layering of src/', () => {
  it('has no module importing the composition root (src/services.ts)', () => {
    const offenders = IMPORTS.filter(({ file, targets }) => file.startsWith('modules/') && targets.includes('services.ts')).map(({ file }) => file);
    expect(offenders).toEqual([]);
  });

  it('keeps llm/ and integrations/ free of modules, GraphQL and the database', () => {
    const offenders = IMPORTS.filter(({ file }) => file.startsWith('llm/') || file.startsWith('integrations/')).flatMap(({ file, targets }) =>
      targets.filter((target) => /^(modules|graphql|db|services\.ts|app\.ts)/.test(target)).map((target) => `${file} -> ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  it('keeps services and entities free of GraphQL (only transports, *.schema.ts and *.route.ts, use it)', () => {
    const offenders = IMPORTS.filter(({ file }) => file.startsWith('modules/') && !/\.(schema|route)\.ts$/.test(file)).flatMap(({ file, targets }) =>
      targets.filter((target) => target.startsWith('graphql/') || target.endsWith('.schema.ts')).map((target) => `${file} -> ${target}`),
    );
    expect(offenders).toEqual([]);
  });

  it('has no import circle between modules', () => {
    const edges = new Map<string, Set<string>>();
    for (const { file, targets } of IMPORTS) {
      // GraphQL types and entities may reference each other's (relations go both ways); the logic may not.
      if (file.endsWith('.schema.ts')) continue;
      const from = unitOf(file);
      if (!from.startsWith('modules/')) continue;
      for (const target of targets) {
        const to = unitOf(target);
        if (to !== from && to.startsWith('modules/') && !/\.(schema|entity)\.ts$/.test(target)) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(to);
      }
    }
    const circles: string[] = [];
    const visit = (unit: string, path: string[]) => {
      for (const next of edges.get(unit) ?? []) {
        if (next === path[0]) circles.push([...path, next].join(' -> '));
        else if (!path.includes(next) && next > path[0]!) visit(next, [...path, next]);
      }
    };
    for (const unit of edges.keys()) visit(unit, [unit]);
    expect(circles).toEqual([]);
  });
});
