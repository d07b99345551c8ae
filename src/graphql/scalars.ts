import { GraphQLScalarType, Kind } from 'graphql';

// Exact decimal numbers as strings: money never passes through a float.
const DECIMAL_PATTERN = /^-?\d{1,30}(\.\d{1,18})?$/;

function parseDecimal(value: unknown): string {
  if (typeof value === 'string' && DECIMAL_PATTERN.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new TypeError('Decimal expects a string such as "0.001234" (numbers with a fraction would lose precision).');
}

export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description: 'An exact decimal number, serialized as a string such as "0.00123400". Money is never a float.',
  serialize(value) {
    if (typeof value === 'string' && DECIMAL_PATTERN.test(value)) return value;
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    throw new TypeError('Decimal cannot represent this value exactly.');
  },
  parseValue: parseDecimal,
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return parseDecimal(ast.kind === Kind.INT ? Number(ast.value) : ast.value);
    throw new TypeError('Decimal expects a string literal such as "0.001234".');
  },
});
