// The maintained price catalogue, @pydantic/genai-prices, read once from the data its package ships (no
// update is ever fetched: nothing here calls updatePrices). Its prices are per million tokens as JSON
// numbers; they become exact per-token rates here. Its model matching (equals, starts_with, regex, ...)
// is re-implemented on the documented MatchLogic so a lookup costs microseconds, not calcPrice's ~90;
// test/unit/llm/prices-genai.test.ts checks it agrees with calcPrice on every model of our providers.
import { findProvider, type MatchLogic, type ModelInfo as CatalogueModel, type ModelPrice, type Provider } from '@pydantic/genai-prices';
import { flatRate, type PricePeriod, type Rate, type Rates, ratePerMillion } from './cost.ts';

export type { CatalogueModel };

/** The provider of the catalogue with this id (openai, anthropic, google, github-copilot, x-ai, mistral). */
export function catalogueProvider(id: string): Provider | null {
  return findProvider({ providerId: id }) ?? null;
}

const regexes = new Map<string, RegExp>();

/** Whether `id` (already lower-cased and trimmed, as the catalogue compares) satisfies the logic. */
export function matches(logic: MatchLogic, id: string): boolean {
  if ('or' in logic) return logic.or.some((inner) => matches(inner, id));
  if ('and' in logic) return logic.and.every((inner) => matches(inner, id));
  if ('equals' in logic) return id === logic.equals.toLowerCase();
  if ('starts_with' in logic) return id.startsWith(logic.starts_with.toLowerCase());
  if ('ends_with' in logic) return id.endsWith(logic.ends_with.toLowerCase());
  if ('contains' in logic) return id.includes(logic.contains.toLowerCase());
  if ('regex' in logic) {
    let regex = regexes.get(logic.regex);
    if (!regex) regexes.set(logic.regex, (regex = new RegExp(logic.regex)));
    return regex.test(id);
  }
  return false;
}

// As the catalogue does: claude-sonnet-4-20250514 is tried again as claude-sonnet-4-2025-05-14.
const COMPACT_DATE = /(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)/g;

function withDashedDates(id: string): string {
  return id.replace(COMPACT_DATE, (whole, dash: string, year: string, month: string, day: string) => {
    const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
    return date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day) ? `${dash}${year}-${month}-${day}` : whole;
  });
}

/**
 * The catalogue entry that prices `modelId` at this provider: the first whose match logic accepts it.
 * Only the provider's own models are searched (the catalogue would fall back from Google to
 * Anthropic's list, which the Gemini API does not serve), and `exclude` drops entries by id.
 */
export function findCatalogueModel(provider: Provider, modelId: string, exclude: RegExp | null): CatalogueModel | null {
  const id = modelId.toLowerCase().trim();
  const candidates = exclude ? provider.models.filter((model) => !exclude.test(model.id)) : provider.models;
  const found = candidates.find((model) => matches(model.match, id));
  if (found) return found;
  const dashed = withDashedDates(id);
  return dashed === id ? null : (candidates.find((model) => matches(model.match, dashed)) ?? null);
}

/** The id to list a catalogue entry under: its own id when it matches itself, else its first exact alias. */
export function listingName(model: CatalogueModel): string | null {
  const own = model.id.toLowerCase();
  if (matches(model.match, own)) return model.id;
  const firstEquals = (logic: MatchLogic): string | null => {
    if ('equals' in logic) return logic.equals;
    for (const inner of 'or' in logic ? logic.or : []) {
      const found = firstEquals(inner);
      if (found) return found;
    }
    return null;
  };
  return firstEquals(model.match);
}

type PriceValue = ModelPrice[string];

function rateOf(value: PriceValue): Rate {
  if (typeof value === 'number') return flatRate(ratePerMillion(value));
  if (value && typeof value === 'object' && Array.isArray(value.tiers)) {
    return {
      base: ratePerMillion(value.base),
      tiers: value.tiers.map((tier) => {
        if (!Number.isSafeInteger(tier.start) || tier.start < 0) throw new Error(`a tier starts at ${tier.start}`);
        return { above: tier.start, price: ratePerMillion(tier.price) };
      }),
    };
  }
  throw new Error(`unexpected price ${JSON.stringify(value)}`);
}

const FREE: Rates = { input: flatRate(0n), output: flatRate(0n), cacheRead: null, cacheWrite: null, reasoning: null };

/**
 * Text-token rates from one of the catalogue's price sets, or null when it does not price text tokens
 * (an embedding model has no output price, a transcription model prices audio hours). An empty set is
 * the catalogue's way of saying free (Copilot's included models, Gemini's Gemma models).
 */
export function ratesOf(prices: ModelPrice): Rates | null {
  const keys = Object.keys(prices).filter((key) => prices[key] !== undefined);
  if (keys.length === 0) return FREE;
  if (prices.input_mtok === undefined || prices.output_mtok === undefined) return null;
  const optional = (key: string) => (prices[key] === undefined ? null : rateOf(prices[key]));
  return {
    input: rateOf(prices.input_mtok),
    output: rateOf(prices.output_mtok),
    cacheRead: optional('cache_read_mtok'),
    cacheWrite: optional('cache_write_mtok'),
    reasoning: optional('output_reasoning_mtok'),
  };
}

/** Parses YYYY-MM-DD as UTC midnight, as the catalogue does. */
function startOf(day: string): number {
  const at = Date.parse(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(at)) throw new Error(`bad start_date ${day}`);
  return at;
}

export type CataloguePricing = { ok: true; periods: PricePeriod[] } | { ok: false; reason: string };

/**
 * The entry's dated prices as periods. An entry is unpriced (ok: false, so its calls cost null, never a
 * guess) when a period does not price text tokens, when a price cannot be held exactly, or when it uses
 * a time-of-day price, which none of our providers has (a test says so, and would catch a new one).
 */
export function pricingOf(model: CatalogueModel): CataloguePricing {
  let pricing = pricings.get(model);
  if (!pricing) pricings.set(model, (pricing = readPricing(model)));
  return pricing;
}

const pricings = new WeakMap<CatalogueModel, CataloguePricing>();

function readPricing(model: CatalogueModel): CataloguePricing {
  try {
    const list = Array.isArray(model.prices) ? model.prices : [{ prices: model.prices }];
    const periods: PricePeriod[] = [];
    for (const entry of list) {
      const constraint = entry.constraint;
      if (constraint && constraint.type !== 'start_date') return { ok: false, reason: `a ${constraint.type} price` };
      const rates = ratesOf(entry.prices);
      if (!rates) return { ok: false, reason: 'no text-token price' };
      periods.push({ since: constraint ? startOf(constraint.start_date) : null, rates });
    }
    return periods.length ? { ok: true, periods } : { ok: false, reason: 'no price' };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
