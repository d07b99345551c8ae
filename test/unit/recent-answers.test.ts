import { describe, expect, it } from 'vitest';
import { ownerOf, RecentAnswers } from '../../src/modules/cache/recent-answers.ts';

describe('RecentAnswers (a replica\u2019s copy of cached answers)', () => {
  const alice = ownerOf({ userId: 'a', projectId: null });
  it('answers only its owner, until its expiry', () => {
    const recent = new RecentAnswers(10_000);
    recent.set('k', alice, '{"text":"hi"}', 1_000);
    expect(recent.get('k', alice, 999)).toBe('{"text":"hi"}');
    expect(recent.get('k', ownerOf({ userId: 'b', projectId: null }), 999)).toBeNull();
    expect(recent.get('k', ownerOf({ userId: 'a', projectId: 'p' }), 999)).toBeNull();
    expect(recent.get('k', alice, 1_000)).toBeNull();
    expect(recent.size).toEqual({ entries: 0, bytes: 0 });
  });

  it('keeps within its bytes, the least recently used out first, and holds no answer over a quarter of them', () => {
    const text = (n: number) => `"${'x'.repeat(n - 2)}"`;
    // Strings count two bytes per character: four answers of 100 characters fill 800 bytes.
    const recent = new RecentAnswers(800);
    for (const key of ['a', 'b', 'c', 'd']) recent.set(key, alice, text(100), Number.MAX_SAFE_INTEGER);
    expect(recent.size).toEqual({ entries: 4, bytes: 800 });
    expect(recent.get('a', alice, 0)).not.toBeNull();
    recent.set('e', alice, text(100), Number.MAX_SAFE_INTEGER);
    expect(['a', 'b', 'c', 'd', 'e'].filter((key) => recent.get(key, alice, 0) !== null)).toEqual(['a', 'c', 'd', 'e']);
    recent.set('big', alice, text(101), Number.MAX_SAFE_INTEGER);
    expect(recent.get('big', alice, 0)).toBeNull();
    // Replacing an answer counts it once.
    recent.set('e', alice, text(50), Number.MAX_SAFE_INTEGER);
    expect(recent.size).toEqual({ entries: 4, bytes: 700 });
    expect(new RecentAnswers(0).size.entries).toBe(0);
    const none = new RecentAnswers(0);
    none.set('k', alice, '1', Number.MAX_SAFE_INTEGER);
    expect(none.get('k', alice, 0)).toBeNull();
  });
});
