// A price as we write it ourselves (the override file, a configuration's `config.prices`): USD per 1,000
// tokens as decimal strings, the unit the API shows. Never a float.
import { z } from 'zod';
import { flatRate, type Rates, ratePer1k } from './cost.ts';

export const per1k = z.string().regex(/^\d{1,9}(\.\d{1,8})?$/, 'a non-negative decimal string (USD per 1k tokens) with at most 8 decimals');

export const priceSetShape = {
  inputCostPer1kTokens: per1k,
  outputCostPer1kTokens: per1k,
  /** Input tokens read from the prompt cache; absent: they cost the input price. */
  cachedInputCostPer1kTokens: per1k.optional(),
  /** Input tokens written to the prompt cache; absent: they cost the input price. */
  cacheWriteCostPer1kTokens: per1k.optional(),
};

export const priceSetSchema = z.strictObject(priceSetShape);

export type PriceSet = z.infer<typeof priceSetSchema>;

export function ratesOfPriceSet(set: PriceSet): Rates {
  const optional = (value: string | undefined) => (value === undefined ? null : flatRate(ratePer1k(value)));
  return {
    input: flatRate(ratePer1k(set.inputCostPer1kTokens)),
    output: flatRate(ratePer1k(set.outputCostPer1kTokens)),
    cacheRead: optional(set.cachedInputCostPer1kTokens),
    cacheWrite: optional(set.cacheWriteCostPer1kTokens),
    reasoning: null,
  };
}
