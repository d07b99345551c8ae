// Exact prices and costs. A rate is USD per token as a BigInt at RATE_SCALE decimal places, so every
// price we meet (the catalogue's per-million prices with up to 10 decimals, our per-1k prices with up
// to 13) is held exactly and a cost is a sum of integer products, rounded half up once at the end.
import { divideRoundingHalfUp, formatDecimal, parseDecimal } from '../decimal.ts';

/** Decimal places of a per-token rate: 1e-16 USD. */
export const RATE_SCALE = 16;
/** Costs are reported with 8 decimal places, as the Decimal scalar shows them. */
export const COST_SCALE = 8;

/**
 * A price for one kind of token. From `tiers[i].above` input tokens up (more than that many in the
 * call's prompt), the whole call pays `tiers[i].price` instead of `base` (long-context pricing; the
 * last tier reached wins, as in @pydantic/genai-prices).
 */
export interface Rate {
  base: bigint;
  tiers: readonly { above: number; price: bigint }[];
}

/** The rates of a model at one time. Null cache/reasoning rates: those tokens cost the input/output rate. */
export interface Rates {
  input: Rate;
  output: Rate;
  cacheRead: Rate | null;
  cacheWrite: Rate | null;
  reasoning: Rate | null;
}

/** One price period: in force from `since` (epoch ms; null: from the start) until the next entry's. */
export interface PricePeriod {
  since: number | null;
  rates: Rates;
}

/**
 * Token counts as a cost needs them. `inputTokens` counts every prompt token, cached or not;
 * `cachedInputTokens` (read from the prompt cache) and `cacheWriteInputTokens` (written to it) are
 * parts of it. `outputTokens` counts every generated token; `reasoningTokens` is the part spent
 * thinking. Absent or null parts count as 0: uncached input, no separate reasoning.
 */
export interface CostTokens {
  inputTokens: number | null;
  outputTokens: number | null;
  cachedInputTokens?: number | null;
  cacheWriteInputTokens?: number | null;
  reasoningTokens?: number | null;
}

const PER_1K_SCALE = RATE_SCALE - 3;

/** "0.00015" (USD per 1k tokens, at most 13 decimals) -> the per-token rate. */
export function ratePer1k(value: string): bigint {
  return parseDecimal(value, PER_1K_SCALE);
}

/** 0.15 (USD per 1M tokens, as @pydantic/genai-prices writes it) -> the per-token rate, exactly. */
export function ratePerMillion(value: number): bigint {
  return parseDecimal(decimalOfNumber(value), RATE_SCALE - 6);
}

/** A per-token rate as USD per 1k tokens, at least 6 decimals shown ("0.000150", "0.0000375"). */
export function formatPer1k(rate: bigint): string {
  const text = formatDecimal(rate, PER_1K_SCALE);
  const [whole, fraction = ''] = text.split('.');
  return `${whole}.${fraction.replace(/0+$/, '').padEnd(6, '0')}`;
}

export const flatRate = (base: bigint): Rate => ({ base, tiers: [] });

/**
 * The shortest decimal that reads back as `value` (what JSON and JavaScript print), without an
 * exponent: 1.5e-7 -> "0.00000015". The catalogue writes prices as such numbers, so this is exact.
 */
export function decimalOfNumber(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new Error(`Not a non-negative finite price: ${value}`);
  const text = String(value);
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (!match) throw new Error(`Unexpected number format: ${text}`);
  const [, whole = '0', fraction = '', exponentText = '0'] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exponentText);
  const raw =
    point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
  const [w, f] = raw.split('.');
  const cleanWhole = w!.replace(/^0+(?=\d)/, '');
  const cleanFraction = (f ?? '').replace(/0+$/, '');
  return cleanFraction ? `${cleanWhole}.${cleanFraction}` : cleanWhole;
}

/** The rates in force at `at` (epoch ms): the last period begun by then; before all, the first. */
export function ratesAt(periods: readonly PricePeriod[], at: number): Rates | null {
  for (let index = periods.length - 1; index >= 0; index -= 1) {
    const period = periods[index]!;
    if (period.since === null || at >= period.since) return period.rates;
  }
  return periods[0]?.rates ?? null;
}

/** When the price in force at `at` began (null: from the start), and when the next one begins. */
export function periodBounds(periods: readonly PricePeriod[], at: number): { since: number | null; until: number | null } {
  let current: number | null = null;
  let until: number | null = null;
  for (let index = periods.length - 1; index >= 0; index -= 1) {
    const since = periods[index]!.since;
    if (since === null || at >= since) {
      current = since;
      break;
    }
    until = since;
  }
  return { since: current, until };
}

/** The price a call with `promptTokens` input tokens pays for this kind of token. */
export function rateFor(rate: Rate, promptTokens: number): bigint {
  let price = rate.base;
  for (const tier of rate.tiers) if (promptTokens > tier.above) price = tier.price;
  return price;
}

/** The highest price a call with at most `promptTokens` input tokens can pay for this kind of token. */
function highestRateUpTo(rate: Rate, promptTokens: number): bigint {
  let price = rate.base;
  for (const tier of rate.tiers) if (promptTokens > tier.above && tier.price > price) price = tier.price;
  return price;
}

function isCount(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A part of a count: absent or null is 0; anything else must be a count. Undefined result: invalid. */
function part(value: number | null | undefined): number | undefined {
  if (value === undefined || value === null) return 0;
  return isCount(value) ? value : undefined;
}

/**
 * The exact cost at RATE_SCALE decimals; null when a count is unknown or impossible (a part larger
 * than its whole, a negative or fractional count).
 */
export function exactCost(rates: Rates, tokens: CostTokens): bigint | null {
  const { inputTokens, outputTokens } = tokens;
  if (!isCount(inputTokens) || !isCount(outputTokens)) return null;
  const cacheRead = part(tokens.cachedInputTokens);
  const cacheWrite = part(tokens.cacheWriteInputTokens);
  const reasoning = part(tokens.reasoningTokens);
  if (cacheRead === undefined || cacheWrite === undefined || reasoning === undefined) return null;
  if (cacheRead + cacheWrite > inputTokens || reasoning > outputTokens) return null;
  const input = rateFor(rates.input, inputTokens);
  const output = rateFor(rates.output, inputTokens);
  return (
    BigInt(inputTokens - cacheRead - cacheWrite) * input +
    BigInt(cacheRead) * (rates.cacheRead ? rateFor(rates.cacheRead, inputTokens) : input) +
    BigInt(cacheWrite) * (rates.cacheWrite ? rateFor(rates.cacheWrite, inputTokens) : input) +
    BigInt(outputTokens - reasoning) * output +
    BigInt(reasoning) * (rates.reasoning ? rateFor(rates.reasoning, inputTokens) : output)
  );
}

/**
 * The most a call with at most these counts can cost, however its prompt splits into cached and
 * uncached tokens (a cache write costs more than plain input) and whatever tier it reaches.
 */
export function exactCostBound(rates: Rates, inputTokens: number, outputTokens: number): bigint | null {
  if (!isCount(inputTokens) || !isCount(outputTokens)) return null;
  const inputRates = [rates.input, rates.cacheRead, rates.cacheWrite].filter((rate): rate is Rate => rate !== null);
  const outputRates = [rates.output, rates.reasoning].filter((rate): rate is Rate => rate !== null);
  const highest = (list: Rate[]) => list.reduce((max, rate) => (highestRateUpTo(rate, inputTokens) > max ? highestRateUpTo(rate, inputTokens) : max), 0n);
  return BigInt(inputTokens) * highest(inputRates) + BigInt(outputTokens) * highest(outputRates);
}

const COST_DIVISOR = 10n ** BigInt(RATE_SCALE - COST_SCALE);

/** An exact cost as the API reports it: 8 decimals, rounded half up once. */
export function formatCost(exact: bigint): string {
  return formatDecimal(divideRoundingHalfUp(exact, COST_DIVISOR), COST_SCALE);
}

/** A bound as the API reports it: 8 decimals, rounded up, so it is never below the exact value. */
export function formatCostCeiling(exact: bigint): string {
  return formatDecimal((exact + COST_DIVISOR - 1n) / COST_DIVISOR, COST_SCALE);
}
