// Exact decimal arithmetic on scaled BigInts: money never passes through a float.

const DECIMAL_PATTERN = /^(\d+)(?:\.(\d+))?$/;

/** "0.000150" at scale 8 -> 15000n. Throws when the value needs more digits than `scale`. */
export function parseDecimal(value: string, scale: number): bigint {
  const match = DECIMAL_PATTERN.exec(value);
  if (!match) throw new Error(`Not a non-negative decimal: "${value}"`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.replace(/0+$/, '').length > scale) {
    throw new Error(`"${value}" has more than ${scale} decimal places`);
  }
  return BigInt(whole + fraction.padEnd(scale, '0').slice(0, scale));
}

/** 123400n at scale 8 -> "0.00123400". */
export function formatDecimal(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

/** Integer division of a non-negative value, rounding half away from zero. */
export function divideRoundingHalfUp(value: bigint, divisor: bigint): bigint {
  return (value * 2n + divisor) / (divisor * 2n);
}
