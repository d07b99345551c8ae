import { describe, expect, it } from 'vitest';
import { lazyRecord } from '../../src/lazy.ts';

describe('lazyRecord', () => {
  it('builds a property on its first read, once, and builds nothing that is never read', () => {
    const built: string[] = [];
    const record = lazyRecord<{ a: { name: string }; b: { name: string; a: { name: string } }; c: number }>({
      a: () => (built.push('a'), { name: 'a' }),
      b: (self) => (built.push('b'), { name: 'b', a: self.a }),
      c: () => (built.push('c'), 3),
    });
    expect(built).toEqual([]);
    const b = record.b;
    expect(built).toEqual(['b', 'a']);
    expect(record.b).toBe(b);
    expect(record.b.a).toBe(record.a);
    expect(built).toEqual(['b', 'a']);
    expect(Object.keys(record)).toEqual(['a', 'b', 'c']);
    expect(built).toEqual(['b', 'a']);
  });
});
