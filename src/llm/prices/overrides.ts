// The shape of src/llm/models.json: per provider, which catalogue provider prices it, its default model,
// and the few local entries the catalogue lacks (each with its source and the day it was checked).
// Validated once at load, so a typo fails at startup, not at billing.
import { z } from 'zod';
import { PROVIDER_KINDS, type ProviderKind } from '../provider-kinds.ts';
import { priceSetSchema, priceSetShape } from './price-set.ts';

const day = z.iso.date();

const regexSource = z.string().refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}, 'a valid regular expression');

const datedPriceSetSchema = z.strictObject({ ...priceSetShape, since: day.optional() });

const overrideModelSchema = z
  .strictObject({
    id: z.string().min(1).max(200),
    /** Prices of our own: one set, or dated sets (each in force from its `since`, UTC midnight). */
    prices: z.union([priceSetSchema, z.array(datedPriceSetSchema).min(1)]).optional(),
    contextWindow: z.number().int().positive().nullable().optional(),
    /** Where the prices or context window were read: a URL or a sentence. */
    source: z.string().min(1).optional(),
    checkedOn: day.optional(),
  })
  .refine((model) => (model.prices === undefined && model.contextWindow === undefined) || (model.source !== undefined && model.checkedOn !== undefined), {
    message: 'an entry that sets prices or a context window names its source and checkedOn date',
  })
  .refine((model) => !Array.isArray(model.prices) || model.prices.every((set, index) => index === 0 || set.since !== undefined), {
    message: 'every dated price set after the first names its since date',
  });

const providerSchema = z
  .strictObject({
    /** The catalogue's provider id; null for kinds it has no business pricing (local rules, Ollama). */
    catalogueProvider: z.string().min(1).nullable(),
    /** Catalogue ids this kind does not serve (Google's list holds Vertex's Claude): neither listed nor priced. */
    exclude: regexSource.optional(),
    /** Catalogue ids not listed because they are no chat models (embeddings, speech, images); still priced. */
    hide: regexSource.optional(),
    defaultModel: z.string().min(1),
    /** False: any model id is accepted and priced at `unlistedModelCost` (a locally pulled Ollama model). */
    fixedModelList: z.boolean(),
    pricingNote: z.string().min(1),
    unlistedModelCost: priceSetSchema.optional(),
    /**
     * Listed first, in this order. An entry with only an id lists that id (a dated snapshot such as
     * claude-sonnet-4-20250514) at the catalogue's price; one with prices or a context window overrides.
     */
    models: z.array(overrideModelSchema),
  })
  .refine((provider) => new Set(provider.models.map((model) => model.id)).size === provider.models.length, { message: 'model ids must be unique' })
  .refine((provider) => provider.catalogueProvider !== null || provider.models.every((model) => model.prices !== undefined), {
    message: 'without a catalogue provider, every model needs prices of its own',
  });

export const overrideFileSchema = z.strictObject({
  about: z.string().optional(),
  catalogue: z.strictObject({
    package: z.literal('@pydantic/genai-prices'),
    /** The installed version these prices were reviewed with (a test checks it is the installed one). */
    version: z.string().regex(/^\d+\.\d+\.\d+$/),
    /** The day that version of the catalogue was published: the date the API shows for its prices. */
    takenOn: day,
  }),
  currency: z.literal('USD'),
  // Every kind must have an entry, and no other key is allowed.
  providers: z.strictObject(Object.fromEntries(PROVIDER_KINDS.map((kind) => [kind, providerSchema])) as Record<ProviderKind, typeof providerSchema>),
});

export type OverrideFile = z.infer<typeof overrideFileSchema>;
export type OverrideProvider = OverrideFile['providers'][ProviderKind];
export type OverrideModel = OverrideProvider['models'][number];
