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
    const keys: string[] = [];
    for (const key in record) keys.push(key);
    expect(keys.sort()).toEqual(['a', 'b', 'c']);
    expect('c' in record).toBe(true);
    expect(built).toEqual(['b', 'a']);
    // Built values are the record's own, read-only; another record of the same keys builds its own.
    expect(() => Object.assign(record, { a: { name: 'changed' } })).toThrow(TypeError);
    const other = lazyRecord<{ a: { name: string }; b: { name: string; a: { name: string } }; c: number }>({
      a: () => ({ name: 'other a' }),
      b: (self) => ({ name: 'other b', a: self.a }),
      c: () => 4,
    });
    expect(other.b.a.name).toBe('other a');
    expect(record.a.name).toBe('a');
  });
});
