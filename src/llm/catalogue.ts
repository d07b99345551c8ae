// Models and prices per provider. The data lives in models.json (reviewed like code, dated by
// `pricesTakenOn`) and is validated here once, at load, so a typo fails at startup, not at billing.
import { z } from 'zod';
import { divideRoundingHalfUp, formatDecimal, parseDecimal } from './decimal.ts';
import rawCatalogue from './models.json' with { type: 'json' };
import { PROVIDER_KINDS, type ProviderKind } from './provider-kinds.ts';
import type { TokenUsage } from './types.ts';

/** Prices carry at most 8 decimal places per 1k tokens. */
const PRICE_SCALE = 8;
/** Costs are reported with 8 decimal places, as the Decimal scalar shows them. */
const COST_SCALE = 8;

const decimalString = z.string().regex(/^\d+(\.\d{1,8})?$/, 'a non-negative decimal string with at most 8 decimals');

const modelSchema = z.object({
  id: z.string().min(1),
  inputCostPer1kTokens: decimalString,
  outputCostPer1kTokens: decimalString,
  contextWindow: z.number().int().positive().nullable(),
});

const providerSchema = z
  .object({
    defaultModel: z.string().min(1),
    /** False: any model id is accepted (a locally pulled Ollama model, say). */
    fixedModelList: z.boolean(),
    pricingNote: z.string().min(1),
    /** The price of a model absent from `models`; only meaningful without a fixed list. */
    unlistedModelCost: modelSchema.pick({ inputCostPer1kTokens: true, outputCostPer1kTokens: true }).optional(),
    models: z.array(modelSchema).min(1),
  })
  .refine((provider) => provider.models.some((model) => model.id === provider.defaultModel), {
    message: 'defaultModel must be one of the listed models',
  })
  .refine((provider) => new Set(provider.models.map((model) => model.id)).size === provider.models.length, {
    message: 'model ids must be unique',
  });

const catalogueSchema = z.object({
  pricesTakenOn: z.iso.date(),
  currency: z.literal('USD'),
  // Every kind must have an entry, and no other key is allowed.
  providers: z.strictObject(Object.fromEntries(PROVIDER_KINDS.map((kind) => [kind, providerSchema])) as Record<ProviderKind, typeof providerSchema>),
});

export type ModelInfo = z.infer<typeof modelSchema>;
type ModelPrice = Pick<ModelInfo, 'inputCostPer1kTokens' | 'outputCostPer1kTokens'>;
type Catalogue = z.infer<typeof catalogueSchema>;

/** Validates catalogue data; throws a ZodError naming the bad field. */
export function parseCatalogue(raw: unknown): Catalogue {
  return catalogueSchema.parse(raw);
}

const catalogue = parseCatalogue(rawCatalogue);

/** The day the prices in the catalogue were read from the providers' price pages. */
export const PRICES_TAKEN_ON: string = catalogue.pricesTakenOn;

export function modelsFor(kind: ProviderKind): readonly ModelInfo[] {
  return catalogue.providers[kind].models;
}

export function findModel(kind: ProviderKind, modelId: string): ModelInfo | null {
  return modelsFor(kind).find((model) => model.id === modelId) ?? null;
}

export function defaultModel(kind: ProviderKind): string {
  return catalogue.providers[kind].defaultModel;
}

/** True when only listed models may be used; false where the operator installs models (Ollama). */
export function hasFixedModelList(kind: ProviderKind): boolean {
  return catalogue.providers[kind].fixedModelList;
}

/** Whether the app should accept `modelId` for `kind` (listed, or the provider has no fixed list). */
export function isKnownModel(kind: ProviderKind, modelId: string): boolean {
  return !hasFixedModelList(kind) || findModel(kind, modelId) !== null;
}

export function pricingNote(kind: ProviderKind): string {
  return catalogue.providers[kind].pricingNote;
}

function priceOf(kind: ProviderKind, modelId: string): ModelPrice | null {
  return findModel(kind, modelId) ?? catalogue.providers[kind].unlistedModelCost ?? null;
}

function isTokenCount(value: number | null): value is number {
  return value !== null && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The cost of one call in USD with 8 decimal places ("0.00123400"), computed exactly and rounded
 * half up once at the end. Null when a token count is unknown or the model has no price: an
 * unknown cost is never reported as 0.
 */
export function computeCost(kind: ProviderKind, modelId: string, usage: TokenUsage): string | null {
  const price = priceOf(kind, modelId);
  const { inputTokens, outputTokens } = usage;
  if (price === null || !isTokenCount(inputTokens) || !isTokenCount(outputTokens)) return null;
  // tokens x (price per 1k at PRICE_SCALE) is the cost at PRICE_SCALE + 3 decimal places.
  const exact =
    BigInt(inputTokens) * parseDecimal(price.inputCostPer1kTokens, PRICE_SCALE) +
    BigInt(outputTokens) * parseDecimal(price.outputCostPer1kTokens, PRICE_SCALE);
  const divisor = 10n ** BigInt(PRICE_SCALE + 3 - COST_SCALE);
  return formatDecimal(divideRoundingHalfUp(exact, divisor), COST_SCALE);
}
