// Small statistics and loop helpers shared by the figures.

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function round(value: number, digits = 2): number {
  return Number.isFinite(value) ? Number(value.toFixed(digits)) : value;
}

/** A fixed-point string for tables ("0.81", "12.3"): significant enough without noise. */
export function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

/**
 * The order to measure `items` in round `index`: rotated each round, so that no item is always first
 * (or always right after the most expensive one) and slow drift on a shared machine spreads evenly.
 */
export function rotation<T>(items: readonly T[], index: number): T[] {
  const shift = index % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** A time budget for a loop: every loop in the suite is bounded in count and in time. */
export class Deadline {
  private readonly endsAt: number;

  constructor(seconds: number) {
    this.endsAt = performance.now() + seconds * 1000;
  }

  get passed(): boolean {
    return performance.now() >= this.endsAt;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the promise's value, or rejects after `ms` naming what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** CPU time (user + system) in milliseconds between two process.cpuUsage() readings. */
export function cpuMs(before: NodeJS.CpuUsage, after: NodeJS.CpuUsage): number {
  return (after.user - before.user + after.system - before.system) / 1000;
}
