import { describe, expect, it } from 'vitest';
import { divideRoundingHalfUp, formatDecimal, parseDecimal } from '../../../src/llm/decimal.ts';

describe('decimal helpers', () => {
  it('parses decimal strings into scaled integers', () => {
    expect(parseDecimal('0.000150', 8)).toBe(15_000n);
    expect(parseDecimal('12', 2)).toBe(1200n);
    expect(parseDecimal('0.10000000000', 8)).toBe(10_000_000n);
  });

  it('refuses values it cannot hold exactly', () => {
    expect(() => parseDecimal('0.000000001', 8)).toThrow(/decimal places/);
    expect(() => parseDecimal('-1', 8)).toThrow();
    expect(() => parseDecimal('1e-3', 8)).toThrow();
  });

  it('formats scaled integers with a fixed number of places', () => {
    expect(formatDecimal(123_400n, 8)).toBe('0.00123400');
    expect(formatDecimal(9_000_000_000n, 8)).toBe('90.00000000');
    expect(formatDecimal(0n, 8)).toBe('0.00000000');
    expect(formatDecimal(-5n, 2)).toBe('-0.05');
  });

  it('rounds half up when dividing', () => {
    expect(divideRoundingHalfUp(15n, 10n)).toBe(2n);
    expect(divideRoundingHalfUp(14n, 10n)).toBe(1n);
    expect(divideRoundingHalfUp(25n, 10n)).toBe(3n);
  });
});
