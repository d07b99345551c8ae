// Plans how a summary reads a [from, to) range: in the coarsest pieces that fit it, because a rollup row
// stands for many raw rows. Whole UTC days come from the daily rollups, whole hours of the partial days at
// either end from the hourly rollup, and only the partial hours from raw rows. Pure: no database, no clock.

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/**
 * One piece of a range, [from, to). Only the days piece may be open (null) at an end: an open end has no
 * partial day to split off. Days pieces start and end at UTC midnight, hours pieces on UTC hours.
 */
export type RangePiece =
  | { source: 'days'; from: Date | null; to: Date | null }
  | { source: 'hours'; from: Date; to: Date }
  | { source: 'raw'; from: Date; to: Date };

export type RangeSource = RangePiece['source'];

/**
 * The pieces of [from, to) in time order, contiguous and non-overlapping; a null end is open. Empty when
 * to <= from (nothing to read, so the caller need not ask the database).
 */
export function planRange(from: Date | null, to: Date | null): RangePiece[] {
  if (from && to && to <= from) return [];
  const firstWholeDay = from ? ceilTo(from, DAY_MS) : null;
  const endWholeDays = to ? floorTo(to, DAY_MS) : null;
  // Both ends inside the same day, or in neighbouring days: no whole day in between.
  if (from && to && firstWholeDay && endWholeDays && endWholeDays <= firstWholeDay) return withoutWholeDays(from, to);
  return [
    ...(from && firstWholeDay && from < firstWholeDay ? withoutWholeDays(from, firstWholeDay) : []),
    { source: 'days', from: firstWholeDay, to: endWholeDays },
    ...(to && endWholeDays && endWholeDays < to ? withoutWholeDays(endWholeDays, to) : []),
  ];
}

/**
 * A range holding no whole UTC day (it may still cross midnight): its whole hours, and the partial hours at
 * either end. A range holding no whole hour (it may still cross one hour's end) is a single raw piece.
 */
function withoutWholeDays(from: Date, to: Date): RangePiece[] {
  const firstWholeHour = ceilTo(from, HOUR_MS);
  const endWholeHours = floorTo(to, HOUR_MS);
  if (endWholeHours <= firstWholeHour) return [{ source: 'raw', from, to }];
  return [
    ...(from < firstWholeHour ? [{ source: 'raw', from, to: firstWholeHour } as const] : []),
    { source: 'hours', from: firstWholeHour, to: endWholeHours },
    ...(endWholeHours < to ? [{ source: 'raw', from: endWholeHours, to } as const] : []),
  ];
}

/** The start of the unit `date` is in (UTC: the epoch is a UTC midnight and a UTC day has no leap seconds). */
export function floorTo(date: Date, unitMs: number): Date {
  return new Date(Math.floor(date.getTime() / unitMs) * unitMs);
}

/** The first unit boundary at or after `date`. */
export function ceilTo(date: Date, unitMs: number): Date {
  return new Date(Math.ceil(date.getTime() / unitMs) * unitMs);
}
