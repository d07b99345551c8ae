import { parse, valueFromAST, type ValueNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DecimalScalar } from '../../src/graphql/scalars.ts';

describe('Decimal scalar', () => {
  it('serializes exact strings and integers, never floats', () => {
    expect(DecimalScalar.serialize('0.00123400')).toBe('0.00123400');
    expect(DecimalScalar.serialize(12)).toBe('12');
    expect(DecimalScalar.serialize(10n)).toBe('10');
    expect(() => DecimalScalar.serialize(0.1)).toThrow(/exactly/);
  });

  it('accepts string and integer input, refuses fractional numbers and junk', () => {
    expect(DecimalScalar.parseValue('1.50')).toBe('1.50');
    expect(DecimalScalar.parseValue(3)).toBe('3');
    expect(() => DecimalScalar.parseValue(1.5)).toThrow();
    expect(() => DecimalScalar.parseValue('1e3')).toThrow();
    const literal = (source: string) =>
      (parse(`{ f(a: ${source}) }`).definitions[0] as unknown as { selectionSet: { selections: { arguments: { value: ValueNode }[] }[] } })
        .selectionSet.selections[0]!.arguments[0]!.value;
    expect(valueFromAST(literal('"2.000001"'), DecimalScalar)).toBe('2.000001');
    expect(valueFromAST(literal('2.5'), DecimalScalar)).toBeUndefined();
  });
});
