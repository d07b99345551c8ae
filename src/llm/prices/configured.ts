// Prices an admin sets at run time, without a deploy: the `prices` key of a provider configuration's
// `config` (validated in modules/providers/provider-config.ts with the schema below). They price the calls
// served through that configuration (a negotiated rate, a proxy, a self-hosted endpoint that costs
// nothing), ahead of the catalogue. `"*"` prices every model of the configuration it does not name.
import { z } from 'zod';
import { type PricePeriod } from './cost.ts';
import { priceSetShape, ratesOfPriceSet } from './price-set.ts';

/** Any model id as providers spell them (as the call router accepts them), or "*". */
const MODEL_KEY = /^(\*|[\w.:/@+-]{1,200})$/;

export const MAX_CONFIGURED_PRICES = 500;

export const configuredPriceSchema = z.strictObject({
  ...priceSetShape,
  contextWindow: z.number().int().positive().max(100_000_000).optional(),
  /** In force from this instant (a date is UTC midnight); before it, the catalogue's price applies. */
  since: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
  /** The day the admin read this price (set by setModelPrice); shown as the price's date. */
  setOn: z.iso.date().optional(),
});

export const configuredPricesSchema = z
  .record(z.string().regex(MODEL_KEY, 'a model id (letters, digits and . : / @ + _ -) or "*"'), configuredPriceSchema)
  .refine((prices) => Object.keys(prices).length <= MAX_CONFIGURED_PRICES, `at most ${MAX_CONFIGURED_PRICES} models`);

export type ConfiguredPrice = z.infer<typeof configuredPriceSchema>;
export type ConfiguredPrices = Record<string, ConfiguredPrice>;

export interface ConfiguredEntry {
  key: string;
  price: ConfiguredPrice;
  /** Before `since` there is no configured price: the period list then starts later. */
  since: number | null;
  periods: PricePeriod[];
}

const entries = new WeakMap<ConfiguredPrices, Map<string, ConfiguredEntry>>();

/** The configured price for `modelId`: its own entry, else "*"; null when neither exists. */
export function configuredEntry(prices: ConfiguredPrices | null | undefined, modelId: string): ConfiguredEntry | null {
  if (!prices) return null;
  let parsed = entries.get(prices);
  if (!parsed) {
    parsed = new Map();
    for (const [key, price] of Object.entries(prices)) {
      const since = price.since === undefined ? null : Date.parse(price.since.length === 10 ? `${price.since}T00:00:00Z` : price.since);
      parsed.set(key, { key, price, since, periods: [{ since, rates: ratesOfPriceSet(price) }] });
    }
    entries.set(prices, parsed);
  }
  return parsed.get(modelId) ?? parsed.get('*') ?? null;
}
