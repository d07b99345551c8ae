import { describe, expect, it } from 'vitest';
import { ClientPool } from '../../../src/llm/driver-support.ts';

describe('ClientPool', () => {
  it('reuses the client made with the same settings, and drops the least recently used one when full', () => {
    const pool = new ClientPool<{ n: number }>(2);
    let made = 0;
    const make = () => ({ n: ++made });
    const a = pool.get(['key-a', 'http://a'], make);
    expect(pool.get(['key-a', 'http://a'], make)).toBe(a);
    const b = pool.get(['key-b', 'http://a'], make);
    expect(b).not.toBe(a);
    expect(pool.get(['key-a', 'http://a'], make)).toBe(a);
    pool.get(['key-c', 'http://a'], make);
    expect(pool.get(['key-a', 'http://a'], make)).toBe(a);
    expect(pool.get(['key-b', 'http://a'], make)).not.toBe(b);
    expect(made).toBe(4);
  });

  it('tells settings apart by every part, including absent ones', () => {
    const pool = new ClientPool<object>();
    const one = pool.get(['k', 'http://a', undefined], () => ({}));
    expect(pool.get(['k', 'http://a', 1000], () => ({}))).not.toBe(one);
    expect(pool.get(['k', 'http://b', undefined], () => ({}))).not.toBe(one);
  });
});
