import { describe, expect, it } from 'vitest';
import { jsonCandidates, nextOpening, scanBalanced } from '../../../src/modules/analysis/json-candidates.ts';

const all = (text: string, maxSteps?: number) => [...jsonCandidates(text, maxSteps)];

describe('jsonCandidates', () => {
  it('finds JSON in prose and code fences, in order, and looks inside brackets that are not JSON', () => {
    expect(all('Here you go:\n```json\n[{"key": "a"}]\n```\nand also {"b": 2}.')).toEqual([[{ key: 'a' }], { b: 2 }]);
    expect(all('[see below] {"a": 1}')).toEqual([{ a: 1 }]);
    expect(all('[note: {"inner": true}]')).toEqual([{ inner: true }]);
    expect(all('{"text": "brackets ] } [ in a string", "n": 1}')).toEqual([{ text: 'brackets ] } [ in a string', n: 1 }]);
    expect(all('no json here')).toEqual([]);
  });

  it('spends at most its step budget, however many unclosed brackets the text holds', () => {
    // Scanning from every bracket to the end would take about n^2/2 steps.
    const soup = `${'['.repeat(3_000)} {"late": true}`;
    expect(all(soup, 100_000)).toEqual([]);
    expect(all(`${'['.repeat(100)} {"late": true}`, 100_000)).toEqual([{ late: true }]);
    // A large soup ends (no timeout) with the default budget too.
    expect(all('{['.repeat(150_000))).toEqual([]);
  });
});

describe('scanBalanced', () => {
  it('reports closed, mismatched, unterminated and exhausted scans', () => {
    const budget = () => ({ steps: 1_000 });
    expect(scanBalanced('x[1, [2]]y', 1, budget())).toEqual({ kind: 'closed', end: 9 });
    expect(scanBalanced('[1}', 0, budget())).toEqual({ kind: 'mismatched' });
    expect(scanBalanced('[1, 2', 0, budget())).toEqual({ kind: 'unterminated' });
    expect(scanBalanced('[1, 2, 3]', 0, { steps: 3 })).toEqual({ kind: 'exhausted' });
    expect(nextOpening('ab{c[', 3)).toBe(4);
    expect(nextOpening('abc', 0)).toBe(-1);
  });
});
