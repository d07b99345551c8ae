// Models and prices per provider. Prices and context windows come from a maintained catalogue,
// @pydantic/genai-prices (pinned, its data shipped in the package: nothing is downloaded at run time),
// which dates its price changes and prices cached input and long prompts. src/llm/models.json says
// which catalogue provider serves each kind, names the defaults, and holds the few entries the
// catalogue lacks, each with its source and date. A provider configuration's `config.prices` overrides
// both for the calls it serves (see prices/configured.ts). All of it is validated once, at load.
import rawCatalogue from './models.json' with { type: 'json' };
import { PROVIDER_KINDS, type ProviderKind } from './provider-kinds.ts';
import { type ConfiguredPrices, configuredEntry } from './prices/configured.ts';
import {
  type CostTokens,
  exactCost,
  exactCostBound,
  formatCost,
  formatCostCeiling,
  formatPer1k,
  type PricePeriod,
  periodBounds,
  type Rate,
  rateFor,
  ratesAt,
} from './prices/cost.ts';
import { type CatalogueModel, catalogueProvider, findCatalogueModel, listingName, pricingOf } from './prices/genai-prices.ts';
import { type OverrideModel, type OverrideProvider, overrideFileSchema } from './prices/overrides.ts';
import { ratesOfPriceSet } from './prices/price-set.ts';

export type { ConfiguredPrices } from './prices/configured.ts';

/**
 * A call's token counts for its cost: TokenUsage (src/llm/types.ts) plus the parts some providers
 * report. `cachedInputTokens` and `cacheWriteInputTokens` are parts of `inputTokens` (which counts every
 * prompt token); `reasoningTokens` is a part of `outputTokens`. Absent parts count as 0.
 */
export type CostUsage = CostTokens;

export type PriceSource = 'CATALOGUE' | 'OVERRIDE' | 'CONFIGURATION';

/** Long-prompt pricing: a call with more than `aboveInputTokens` prompt tokens pays these for all its tokens. */
export interface PriceTier {
  aboveInputTokens: number;
  inputCostPer1kTokens: string;
  outputCostPer1kTokens: string;
  cachedInputCostPer1kTokens: string | null;
  cacheWriteCostPer1kTokens: string | null;
}

/** A model with the prices in force now, in USD per 1,000 tokens (exact decimal strings). */
export interface ModelInfo {
  id: string;
  inputCostPer1kTokens: string;
  outputCostPer1kTokens: string;
  contextWindow: number | null;
  /** Prompt tokens read from the provider's cache; null: no cache price (they cost the input price). */
  cachedInputCostPer1kTokens: string | null;
  /** Prompt tokens written to the cache (Anthropic); null: they cost the input price. */
  cacheWriteCostPer1kTokens: string | null;
  priceTiers: readonly PriceTier[];
  priceSource: PriceSource;
  /** The catalogue entry that prices it (genai-prices' id), when the catalogue does. */
  catalogueId: string | null;
  /** The day this price came into force (YYYY-MM-DD), when its source dates it. */
  priceSince: string | null;
  /** The day the price was read from its source: the catalogue's date, an override's or an admin's. */
  pricesTakenOn: string;
}

/** What prices a known model: its dated price periods and where they come from. */
interface PricedEntry {
  periods: readonly PricePeriod[];
  contextWindow: number | null;
  source: PriceSource;
  catalogueId: string | null;
  takenOn: string;
}

interface KindCatalogue {
  settings: OverrideProvider;
  provider: ReturnType<typeof catalogueProvider>;
  exclude: RegExp | null;
  hide: RegExp | null;
  overrides: Map<string, OverrideModel>;
  /** Context windows the override file gives catalogue entries that lack one, by catalogue id. */
  contextWindows: Map<string, number | null>;
  unlisted: readonly PricePeriod[] | null;
  /** The ids listed, worked out on first use (the catalogue's part is ~200 lookups). */
  listedIds: readonly string[] | null;
  /** Catalogue entries of this provider that cannot be priced, with why (for tests and reviews). */
  unpriced: { id: string; reason: string }[];
  resolved: Map<string, PricedEntry | null>;
  infos: Map<string, { info: ModelInfo; from: number | null; until: number | null }>;
  listing: { models: readonly ModelInfo[]; until: number | null } | null;
}

export interface Catalogue {
  name: string;
  version: string;
  takenOn: string;
  kinds: Record<ProviderKind, KindCatalogue>;
}

/** Bounds the per-kind lookup caches: model ids come from callers, so they may be anything. */
const MAX_CACHED_IDS = 5_000;

const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);

function periodsOfOverride(model: OverrideModel): PricePeriod[] | null {
  if (model.prices === undefined) return null;
  const sets = Array.isArray(model.prices) ? model.prices : [model.prices];
  return sets.map((set) => ({ since: 'since' in set && set.since ? Date.parse(`${set.since}T00:00:00Z`) : null, rates: ratesOfPriceSet(set) }));
}

function resolveIn(kind: KindCatalogue, takenOn: string, modelId: string): PricedEntry | null {
  const override = kind.overrides.get(modelId);
  const own = override ? periodsOfOverride(override) : null;
  const match: CatalogueModel | null = kind.provider && !own ? findCatalogueModel(kind.provider, modelId, kind.exclude) : null;
  if (own) {
    return { periods: own, contextWindow: override?.contextWindow ?? null, source: 'OVERRIDE', catalogueId: null, takenOn: override!.checkedOn! };
  }
  if (!match) return null;
  const pricing = pricingOf(match);
  if (!pricing.ok) return null;
  const contextWindow =
    override?.contextWindow !== undefined ? override.contextWindow : (match.context_window ?? kind.contextWindows.get(match.id) ?? null);
  return { periods: pricing.periods, contextWindow, source: 'CATALOGUE', catalogueId: match.id, takenOn };
}

function cached<V>(map: Map<string, V>, key: string, make: () => V): V {
  if (map.has(key)) return map.get(key) as V;
  if (map.size >= MAX_CACHED_IDS) map.clear();
  const value = make();
  map.set(key, value);
  return value;
}

function perK(rate: Rate | null, promptTokens: number): string | null {
  return rate ? formatPer1k(rateFor(rate, promptTokens)) : null;
}

function infoOf(id: string, entry: PricedEntry, at: number): { info: ModelInfo; from: number | null; until: number | null } {
  const rates = ratesAt(entry.periods, at)!;
  const { since, until } = periodBounds(entry.periods, at);
  const starts = [...new Set([rates.input, rates.output, rates.cacheRead, rates.cacheWrite].flatMap((rate) => rate?.tiers.map((tier) => tier.above) ?? []))].sort(
    (a, b) => a - b,
  );
  const info: ModelInfo = {
    id,
    inputCostPer1kTokens: perK(rates.input, 0)!,
    outputCostPer1kTokens: perK(rates.output, 0)!,
    contextWindow: entry.contextWindow,
    cachedInputCostPer1kTokens: perK(rates.cacheRead, 0),
    cacheWriteCostPer1kTokens: perK(rates.cacheWrite, 0),
    priceTiers: starts.map((above) => ({
      aboveInputTokens: above,
      inputCostPer1kTokens: perK(rates.input, above + 1)!,
      outputCostPer1kTokens: perK(rates.output, above + 1)!,
      cachedInputCostPer1kTokens: perK(rates.cacheRead, above + 1),
      cacheWriteCostPer1kTokens: perK(rates.cacheWrite, above + 1),
    })),
    priceSource: entry.source,
    catalogueId: entry.catalogueId,
    priceSince: since === null ? null : dayOf(since),
    pricesTakenOn: entry.takenOn,
  };
  return { info, from: since, until };
}

/** A concrete id a client can send: catalogue patterns (ft:gpt-4o, gpt-4o-mini-2024-07-18.ft-) are not. */
const LISTABLE_ID = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/i;

/** Which catalogue entries a kind lists: current (not deprecated), text-priced chat models, under a callable id. */
function catalogueListing(kind: KindCatalogue, takenOn: string): string[] {
  if (!kind.provider) return [];
  const names: string[] = [];
  for (const model of kind.provider.models) {
    if (kind.exclude?.test(model.id)) continue;
    const pricing = pricingOf(model);
    if (!pricing.ok) {
      kind.unpriced.push({ id: model.id, reason: pricing.reason });
      continue;
    }
    const name = listingName(model);
    if (model.deprecated || !name || !LISTABLE_ID.test(name) || kind.hide?.test(model.id) || kind.hide?.test(name)) continue;
    // A name an earlier, broader entry would catch is not listed: it would show another model's price.
    if (resolveIn(kind, takenOn, name)?.catalogueId !== model.id) continue;
    names.push(name);
  }
  return names;
}

/**
 * Validates the override file (models.json) and joins it to the catalogue; throws naming the problem
 * (a ZodError for the file's shape; an Error naming defaultModel, a model or a catalogue provider).
 */
export function parseCatalogue(raw: unknown): Catalogue {
  const file = overrideFileSchema.parse(raw);
  const { takenOn } = file.catalogue;
  const kinds = {} as Record<ProviderKind, KindCatalogue>;
  for (const kindName of PROVIDER_KINDS) {
    const settings = file.providers[kindName];
    const provider = settings.catalogueProvider ? catalogueProvider(settings.catalogueProvider) : null;
    if (settings.catalogueProvider && !provider) throw new Error(`${kindName}: the catalogue has no provider "${settings.catalogueProvider}"`);
    const kind: KindCatalogue = {
      settings,
      provider,
      exclude: settings.exclude ? new RegExp(settings.exclude) : null,
      hide: settings.hide ? new RegExp(settings.hide) : null,
      overrides: new Map(settings.models.map((model) => [model.id, model])),
      contextWindows: new Map(),
      unlisted: settings.unlistedModelCost ? [{ since: null, rates: ratesOfPriceSet(settings.unlistedModelCost) }] : null,
      listedIds: null,
      unpriced: [],
      resolved: new Map(),
      infos: new Map(),
      listing: null,
    };
    for (const model of settings.models) {
      const entry = resolveIn(kind, takenOn, model.id);
      if (!entry) throw new Error(`${kindName}: models.json lists "${model.id}", which neither it nor the catalogue prices`);
      if (entry.catalogueId && model.contextWindow !== undefined) kind.contextWindows.set(entry.catalogueId, model.contextWindow);
    }
    if (!resolveIn(kind, takenOn, settings.defaultModel)) throw new Error(`${kindName}: defaultModel "${settings.defaultModel}" has no price`);
    kinds[kindName] = kind;
  }
  return { name: file.catalogue.package, version: file.catalogue.version, takenOn, kinds };
}

const catalogue = parseCatalogue(rawCatalogue);

/** The price catalogue in use: the package, its version, and the day that version was published. */
export const PRICE_CATALOGUE: { readonly name: string; readonly version: string; readonly takenOn: string } = {
  name: catalogue.name,
  version: catalogue.version,
  takenOn: catalogue.takenOn,
};

/** The day the catalogue's prices were published (its version's release day). */
export const PRICES_TAKEN_ON: string = catalogue.takenOn;

function listedIdsOf(data: KindCatalogue): readonly string[] {
  if (!data.listedIds) {
    data.unpriced = [];
    const ids = [data.settings.defaultModel, ...data.settings.models.map((model) => model.id), ...catalogueListing(data, catalogue.takenOn)];
    data.listedIds = [...new Set(ids)];
  }
  return data.listedIds;
}

function entryFor(kind: ProviderKind, modelId: string): PricedEntry | null {
  const data = catalogue.kinds[kind];
  return cached(data.resolved, modelId, () => resolveIn(data, catalogue.takenOn, modelId));
}

function infoFor(kind: ProviderKind, modelId: string, at: number): ModelInfo | null {
  const entry = entryFor(kind, modelId);
  if (!entry) return null;
  const data = catalogue.kinds[kind];
  const hit = data.infos.get(modelId);
  if (hit && (hit.from === null || at >= hit.from) && (hit.until === null || at < hit.until)) return hit.info;
  const made = infoOf(modelId, entry, at);
  if (data.infos.size >= MAX_CACHED_IDS) data.infos.clear();
  data.infos.set(modelId, made);
  return made.info;
}

/** The configured price in force at `at` for this model, as a priced entry; null when none applies. */
function configuredFor(kind: ProviderKind, modelId: string, at: number, configured: ConfiguredPrices | null | undefined): PricedEntry | null {
  const found = configuredEntry(configured, modelId);
  if (!found || (found.since !== null && at < found.since)) return null;
  const underlying = entryFor(kind, modelId);
  return {
    periods: found.periods,
    contextWindow: found.price.contextWindow ?? underlying?.contextWindow ?? null,
    source: 'CONFIGURATION',
    catalogueId: null,
    takenOn: found.price.setOn ?? (found.since !== null ? dayOf(found.since) : catalogue.takenOn),
  };
}

/**
 * The models a kind lists, with the prices in force now: its default, the override file's entries, then
 * the catalogue's current text models. With `configured` (a configuration's `config.prices`), its prices
 * replace the others and the models it names are listed first.
 */
export function modelsFor(kind: ProviderKind, configured?: ConfiguredPrices | null): readonly ModelInfo[] {
  const now = Date.now();
  const data = catalogue.kinds[kind];
  if (configured && Object.keys(configured).length) {
    const ids = [...new Set([...Object.keys(configured).filter((key) => key !== '*'), ...listedIdsOf(data)])];
    return ids.flatMap((id) => {
      const own = configuredFor(kind, id, now, configured);
      const info = own ? infoOf(id, own, now).info : infoFor(kind, id, now);
      return info ? [info] : [];
    });
  }
  const listing = data.listing;
  if (listing && (listing.until === null || now < listing.until)) return listing.models;
  let until: number | null = null;
  const models = listedIdsOf(data).flatMap((id) => {
    const info = infoFor(kind, id, now);
    const next = data.infos.get(id)?.until ?? null;
    if (next !== null && (until === null || next < until)) until = next;
    return info ? [info] : [];
  });
  data.listing = { models, until };
  return models;
}

/**
 * The model as the catalogue knows it (listed, or matched by the catalogue's rules: a dated snapshot,
 * an alias), with the prices in force now; null for a model nothing prices.
 */
export function findModel(kind: ProviderKind, modelId: string, configured?: ConfiguredPrices | null): ModelInfo | null {
  const now = Date.now();
  const own = configured ? configuredFor(kind, modelId, now, configured) : null;
  return own ? infoOf(modelId, own, now).info : infoFor(kind, modelId, now);
}

export function defaultModel(kind: ProviderKind): string {
  return catalogue.kinds[kind].settings.defaultModel;
}

/** True when only known models may be used; false where the operator installs models (Ollama). */
export function hasFixedModelList(kind: ProviderKind): boolean {
  return catalogue.kinds[kind].settings.fixedModelList;
}

/** Whether the app should accept `modelId` for `kind` (known, or the provider has no fixed list). */
export function isKnownModel(kind: ProviderKind, modelId: string): boolean {
  return !hasFixedModelList(kind) || findModel(kind, modelId) !== null;
}

export function pricingNote(kind: ProviderKind): string {
  return catalogue.kinds[kind].settings.pricingNote;
}

/** Catalogue entries of a kind's provider that cannot be priced, and why (not text-priced, say). */
export function unpricedCatalogueModels(kind: ProviderKind): readonly { id: string; reason: string }[] {
  listedIdsOf(catalogue.kinds[kind]);
  return catalogue.kinds[kind].unpriced;
}

function periodsFor(kind: ProviderKind, modelId: string, at: number, configured: ConfiguredPrices | null | undefined): readonly PricePeriod[] | null {
  return (configured ? configuredFor(kind, modelId, at, configured)?.periods : null) ?? entryFor(kind, modelId)?.periods ?? catalogue.kinds[kind].unlisted;
}

/**
 * The cost of one call in USD with 8 decimal places ("0.00123400"), at the prices in force at `at`
 * (default: now), computed exactly and rounded half up once at the end. Cached prompt tokens and
 * reasoning tokens are priced at their own rates where the model has them. Null when a token count is
 * unknown or impossible, or the model has no price: an unknown cost is never reported as 0.
 * `configured`: the serving configuration's `config.prices`, which come first.
 */
export function computeCost(kind: ProviderKind, modelId: string, usage: CostUsage, at: Date = new Date(), configured?: ConfiguredPrices | null): string | null {
  const when = at.getTime();
  if (Number.isNaN(when)) return null;
  const periods = periodsFor(kind, modelId, when, configured);
  const rates = periods ? ratesAt(periods, when) : null;
  const exact = rates ? exactCost(rates, usage) : null;
  return exact === null ? null : formatCost(exact);
}

/**
 * The most a call with at most `inputTokens` prompt tokens and `outputTokens` generated tokens can cost
 * at the prices in force at `at` (every prompt token at the dearest of the input and cache rates, the
 * highest tier reached), rounded up; what a budget reserves. Null when the model has no price.
 */
export function costUpperBound(
  kind: ProviderKind,
  modelId: string,
  tokens: { inputTokens: number; outputTokens: number },
  at: Date = new Date(),
  configured?: ConfiguredPrices | null,
): string | null {
  const when = at.getTime();
  if (Number.isNaN(when)) return null;
  const periods = periodsFor(kind, modelId, when, configured);
  const rates = periods ? ratesAt(periods, when) : null;
  const exact = rates ? exactCostBound(rates, tokens.inputTokens, tokens.outputTokens) : null;
  return exact === null ? null : formatCostCeiling(exact);
}
