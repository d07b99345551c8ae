// Display helpers. Money stays the API's Decimal string, shown as given: the console never does
// arithmetic on it. Token counts are safe integers, so grouping their digits is exact.
const integers = new Intl.NumberFormat('en-US');

export const usd = (decimal) => (decimal === null || decimal === undefined ? 'unknown' : `$${decimal}`);

export const count = (value) => (value === null || value === undefined ? '—' : integers.format(value));

/** A DateTime as "2026-03-01 14:05 UTC" (the API's days are UTC days too). */
export function when(iso) {
  if (!iso) return '—';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export const percent = (fraction) => `${Math.round((fraction ?? 0) * 100)}%`;

/** YYYY-MM-DD of a Date in UTC. */
export const utcDay = (date) => date.toISOString().slice(0, 10);

/** The UTC day `days` after YYYY-MM-DD `day`. */
export function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return utcDay(date);
}

/** Exact comparison of two non-negative Decimal strings (for ordering, never for display). */
export function compareDecimal(a, b) {
  const [ai, af = ''] = String(a).split('.');
  const [bi, bf = ''] = String(b).split('.');
  const whole = ai.replace(/^0+/, '').padStart(bi.replace(/^0+/, '').length, '0');
  const otherWhole = bi.replace(/^0+/, '').padStart(whole.length, '0');
  if (whole !== otherWhole) return whole < otherWhole ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const fa = af.padEnd(width, '0');
  const fb = bf.padEnd(width, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}
