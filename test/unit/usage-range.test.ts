import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, planRange, type RangePiece } from '../../src/modules/usage/usage-range.ts';

const at = (iso: string) => new Date(iso);
/** Pieces as ISO strings (null for an open end): failures read as the ranges they are. */
const plan = (from: string | null, to: string | null) =>
  planRange(from ? at(from) : null, to ? at(to) : null).map(({ source, from, to }) => [source, from?.toISOString() ?? null, to?.toISOString() ?? null]);

describe('planRange', () => {
  it('reads an open range from the daily rollups alone', () => {
    expect(plan(null, null)).toEqual([['days', null, null]]);
  });

  it('reads up to the first whole day from finer sources when only from is given', () => {
    expect(plan('2026-10-01T10:30:00.000Z', null)).toEqual([
      ['raw', '2026-10-01T10:30:00.000Z', '2026-10-01T11:00:00.000Z'],
      ['hours', '2026-10-01T11:00:00.000Z', '2026-10-02T00:00:00.000Z'],
      ['days', '2026-10-02T00:00:00.000Z', null],
    ]);
    expect(plan('2026-10-01T00:00:00.000Z', null)).toEqual([['days', '2026-10-01T00:00:00.000Z', null]]);
  });

  it('reads the partial last day from finer sources when only to is given', () => {
    expect(plan(null, '2026-10-03T09:15:00.000Z')).toEqual([
      ['days', null, '2026-10-03T00:00:00.000Z'],
      ['hours', '2026-10-03T00:00:00.000Z', '2026-10-03T09:00:00.000Z'],
      ['raw', '2026-10-03T09:00:00.000Z', '2026-10-03T09:15:00.000Z'],
    ]);
    expect(plan(null, '2026-10-03T00:00:00.000Z')).toEqual([['days', null, '2026-10-03T00:00:00.000Z']]);
  });

  it('reads whole days from the daily rollups alone', () => {
    expect(plan('2026-10-01T00:00:00.000Z', '2026-10-04T00:00:00.000Z')).toEqual([['days', '2026-10-01T00:00:00.000Z', '2026-10-04T00:00:00.000Z']]);
    expect(plan('2026-10-01T00:00:00.000Z', '2026-10-02T00:00:00.000Z')).toEqual([['days', '2026-10-01T00:00:00.000Z', '2026-10-02T00:00:00.000Z']]);
  });

  it('reads the partial days of a range starting and ending mid-day from the hourly rollup', () => {
    expect(plan('2026-10-01T13:00:00.000Z', '2026-10-04T09:00:00.000Z')).toEqual([
      ['hours', '2026-10-01T13:00:00.000Z', '2026-10-02T00:00:00.000Z'],
      ['days', '2026-10-02T00:00:00.000Z', '2026-10-04T00:00:00.000Z'],
      ['hours', '2026-10-04T00:00:00.000Z', '2026-10-04T09:00:00.000Z'],
    ]);
  });

  it('reads only the partial hours at mid-hour edges from raw rows', () => {
    expect(plan('2026-10-01T13:20:00.000Z', '2026-10-04T09:40:00.000Z')).toEqual([
      ['raw', '2026-10-01T13:20:00.000Z', '2026-10-01T14:00:00.000Z'],
      ['hours', '2026-10-01T14:00:00.000Z', '2026-10-02T00:00:00.000Z'],
      ['days', '2026-10-02T00:00:00.000Z', '2026-10-04T00:00:00.000Z'],
      ['hours', '2026-10-04T00:00:00.000Z', '2026-10-04T09:00:00.000Z'],
      ['raw', '2026-10-04T09:00:00.000Z', '2026-10-04T09:40:00.000Z'],
    ]);
    // The last partial hour of a day and the first of the next: no whole hour, so raw rows only.
    expect(plan('2026-10-01T23:10:00.000Z', '2026-10-02T00:50:00.000Z')).toEqual([['raw', '2026-10-01T23:10:00.000Z', '2026-10-02T00:50:00.000Z']]);
  });

  it('reads a range inside one hour from raw rows', () => {
    expect(plan('2026-10-01T10:10:00.000Z', '2026-10-01T10:50:00.000Z')).toEqual([['raw', '2026-10-01T10:10:00.000Z', '2026-10-01T10:50:00.000Z']]);
    // Across an hour's end, still holding no whole hour.
    expect(plan('2026-10-01T10:30:00.000Z', '2026-10-01T11:30:00.000Z')).toEqual([['raw', '2026-10-01T10:30:00.000Z', '2026-10-01T11:30:00.000Z']]);
    expect(plan('2026-10-01T10:00:00.000Z', '2026-10-01T10:00:00.001Z')).toEqual([['raw', '2026-10-01T10:00:00.000Z', '2026-10-01T10:00:00.001Z']]);
  });

  it('reads a range inside one day across hours from the hourly rollup and raw rows', () => {
    expect(plan('2026-10-01T10:10:00.000Z', '2026-10-01T14:50:00.000Z')).toEqual([
      ['raw', '2026-10-01T10:10:00.000Z', '2026-10-01T11:00:00.000Z'],
      ['hours', '2026-10-01T11:00:00.000Z', '2026-10-01T14:00:00.000Z'],
      ['raw', '2026-10-01T14:00:00.000Z', '2026-10-01T14:50:00.000Z'],
    ]);
    expect(plan('2026-10-01T00:00:00.000Z', '2026-10-01T12:00:00.000Z')).toEqual([['hours', '2026-10-01T00:00:00.000Z', '2026-10-01T12:00:00.000Z']]);
    // Across midnight without a whole day: one hours piece spanning it.
    expect(plan('2026-10-01T20:30:00.000Z', '2026-10-02T03:15:00.000Z')).toEqual([
      ['raw', '2026-10-01T20:30:00.000Z', '2026-10-01T21:00:00.000Z'],
      ['hours', '2026-10-01T21:00:00.000Z', '2026-10-02T03:00:00.000Z'],
      ['raw', '2026-10-02T03:00:00.000Z', '2026-10-02T03:15:00.000Z'],
    ]);
  });

  it('plans nothing when to is not after from', () => {
    expect(plan('2026-10-02T00:00:00.000Z', '2026-10-02T00:00:00.000Z')).toEqual([]);
    expect(plan('2026-10-03T00:00:00.000Z', '2026-10-02T00:00:00.000Z')).toEqual([]);
    expect(plan('2026-10-02T10:30:00.000Z', '2026-10-02T10:29:59.999Z')).toEqual([]);
  });

  it('splits any range into contiguous pieces covering it exactly, each aligned to its unit and as coarse as fits', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const start = Date.UTC(2026, 0, 1);
    // Days, hours and milliseconds alike, so that every edge case comes up often.
    const instant = (): Date | null => {
      const roll = random();
      if (roll < 0.1) return null;
      const ms = start + Math.floor(random() * 5 * DAY_MS);
      const unit = roll < 0.3 ? DAY_MS : roll < 0.55 ? HOUR_MS : roll < 0.8 ? 60_000 : 1;
      return new Date(Math.floor(ms / unit) * unit);
    };
    const time = (date: Date | null) => date?.getTime() ?? null;
    const containsWhole = (piece: RangePiece, unit: number) => piece.from && piece.to && Math.ceil(piece.from.getTime() / unit) * unit + unit <= piece.to.getTime();

    for (let i = 0; i < 5_000; i += 1) {
      const [from, to] = [instant(), instant()];
      const pieces = planRange(from, to);
      const label = JSON.stringify({ from, to, pieces });
      if (from && to && to <= from) {
        expect(pieces, label).toEqual([]);
        continue;
      }
      // Covers exactly [from, to): starts at from, ends at to, and each piece starts where the last ended.
      expect(time(pieces[0]!.from), label).toBe(time(from));
      expect(time(pieces.at(-1)!.to), label).toBe(time(to));
      for (let k = 1; k < pieces.length; k += 1) {
        expect(pieces[k - 1]!.to, label).not.toBeNull();
        expect(time(pieces[k]!.from), label).toBe(time(pieces[k - 1]!.to));
      }
      for (const piece of pieces) {
        // Non-empty, hence (being contiguous) non-overlapping and in time order.
        if (piece.from && piece.to) expect(piece.from.getTime(), label).toBeLessThan(piece.to.getTime());
        const unit = piece.source === 'days' ? DAY_MS : piece.source === 'hours' ? HOUR_MS : 1;
        for (const end of [piece.from, piece.to]) if (end) expect(end.getTime() % unit, label).toBe(0);
        // Coarsest: an hours piece holds no whole day, a raw piece no whole hour.
        if (piece.source === 'hours') expect(containsWhole(piece, DAY_MS), label).toBeFalsy();
        if (piece.source === 'raw') expect(containsWhole(piece, HOUR_MS), label).toBeFalsy();
      }
      // Coarsest, too: days read as days exactly when the range holds one, and no two neighbours could merge.
      const holdsWholeDay = !from || !to || containsWhole({ source: 'days', from, to }, DAY_MS);
      expect(pieces.filter((piece) => piece.source === 'days').length, label).toBe(holdsWholeDay ? 1 : 0);
      for (let k = 1; k < pieces.length; k += 1) expect(pieces[k]!.source, label).not.toBe(pieces[k - 1]!.source);
    }
  });
});
