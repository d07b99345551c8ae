import { describe, expect, it } from 'vitest';
import { weightedOrder } from '../../../src/modules/calls/call-router.ts';

const member = (id: string, weight?: number) => ({ id, config: weight === undefined ? {} : { weight } });
const ids = (members: { id: string }[]) => members.map((entry) => entry.id);

describe('weightedOrder', () => {
  it('draws the first member in proportion to its weight, then the rest the same way', () => {
    const group = [member('a', 3), member('b', 1)];
    // Total weight 4: draws below 3/4 land on a, above on b.
    expect(ids(weightedOrder(group, () => 0))).toEqual(['a', 'b']);
    expect(ids(weightedOrder(group, () => 0.74))).toEqual(['a', 'b']);
    expect(ids(weightedOrder(group, () => 0.76))).toEqual(['b', 'a']);
    expect(ids(weightedOrder(group, () => 0.999999))).toEqual(['b', 'a']);
  });

  it('counts a member without a weight as 1 and keeps every member once', () => {
    const group = [member('a'), member('b'), member('c', 2)];
    const draws = [0.5, 0.9];
    let call = 0;
    // 0.5 of 4 lands on c (a: [0,1), b: [1,2), c: [2,4)); then 0.9 of 2 lands on b.
    expect(ids(weightedOrder(group, () => draws[call++] ?? 0))).toEqual(['c', 'b', 'a']);
  });

  it('spreads traffic by weight over many draws', () => {
    const group = [member('heavy', 9), member('light', 1)];
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const firsts = Array.from({ length: 10_000 }, () => weightedOrder(group, random)[0]!.id);
    const heavy = firsts.filter((id) => id === 'heavy').length;
    expect(heavy).toBeGreaterThan(8_700);
    expect(heavy).toBeLessThan(9_300);
  });
});
