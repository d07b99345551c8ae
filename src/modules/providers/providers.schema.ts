import { builder } from '../../graphql/builder.ts';
import { type ConfiguredPrices, defaultModel, type ModelInfo, modelsFor, PRICE_CATALOGUE, type PriceTier, pricingNote } from '../../llm/catalogue.ts';
import { PROVIDER_KINDS, providerName } from '../../llm/provider-kinds.ts';
import { listDrivers } from '../../llm/registry.ts';
import type { LlmDriver } from '../../llm/types.ts';
import { isAdmin } from '../auth/actor.ts';
import { CIRCUIT_STATES, type IntelligenceProvider } from './intelligence-provider.entity.ts';
import type { ProviderHealthView } from './circuit-breaker.ts';

export const ProviderKindEnum = builder.enumType('ProviderKind', { values: PROVIDER_KINDS });

const PriceSourceEnum = builder.enumType('PriceSource', {
  description: 'Where a model\u2019s price comes from.',
  values: {
    CATALOGUE: { description: 'The maintained price catalogue (see PriceCatalogue).' },
    OVERRIDE: { description: 'Agora\u2019s override file (src/llm/models.json), for what the catalogue lacks.' },
    CONFIGURATION: { description: 'A provider configuration\u2019s config.prices, set by an admin (setModelPrice).' },
  },
});

const PriceTierRef = builder.objectRef<PriceTier>('ModelPriceTier').implement({
  description: 'Long-prompt pricing: a call whose prompt has more than aboveInputTokens tokens pays these for all its tokens.',
  fields: (t) => ({
    aboveInputTokens: t.exposeInt('aboveInputTokens'),
    inputCostPer1kTokens: t.expose('inputCostPer1kTokens', { type: 'Decimal' }),
    outputCostPer1kTokens: t.expose('outputCostPer1kTokens', { type: 'Decimal' }),
    cachedInputCostPer1kTokens: t.field({ type: 'Decimal', nullable: true, resolve: (tier) => tier.cachedInputCostPer1kTokens }),
    cacheWriteCostPer1kTokens: t.field({ type: 'Decimal', nullable: true, resolve: (tier) => tier.cacheWriteCostPer1kTokens }),
  }),
});

const PriceCatalogueRef = builder.objectRef<typeof PRICE_CATALOGUE>('PriceCatalogue').implement({
  description: 'The maintained catalogue prices and context windows come from (shipped with Agora; never fetched at run time).',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The package, @pydantic/genai-prices.' }),
    version: t.exposeString('version'),
    takenOn: t.exposeString('takenOn', { description: 'The day this version of the catalogue was published (YYYY-MM-DD): the date of its prices.' }),
  }),
});

const ModelInfoRef = builder.objectRef<ModelInfo>('ModelInfo').implement({
  description: 'A model of a provider, with the prices in force now in USD per 1,000 tokens (exact decimals).',
  fields: (t) => ({
    id: t.exposeString('id'),
    inputCostPer1kTokens: t.expose('inputCostPer1kTokens', { type: 'Decimal', description: 'Uncached prompt tokens (the base tier).' }),
    outputCostPer1kTokens: t.expose('outputCostPer1kTokens', { type: 'Decimal', description: 'Generated tokens, reasoning included (the base tier).' }),
    contextWindow: t.int({ nullable: true, resolve: (model) => model.contextWindow }),
    cachedInputCostPer1kTokens: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Prompt tokens read from the provider\u2019s cache; null: they cost inputCostPer1kTokens.',
      resolve: (model) => model.cachedInputCostPer1kTokens,
    }),
    cacheWriteCostPer1kTokens: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Prompt tokens written to the cache (Anthropic); null: they cost inputCostPer1kTokens.',
      resolve: (model) => model.cacheWriteCostPer1kTokens,
    }),
    priceTiers: t.field({ type: [PriceTierRef], resolve: (model) => [...model.priceTiers] }),
    priceSource: t.field({ type: PriceSourceEnum, resolve: (model) => model.priceSource }),
    catalogueId: t.string({ nullable: true, description: 'The catalogue entry that prices this id.', resolve: (model) => model.catalogueId }),
    priceSince: t.string({ nullable: true, description: 'The day this price came into force (YYYY-MM-DD), when its source dates it.', resolve: (model) => model.priceSince }),
    pricesTakenOn: t.exposeString('pricesTakenOn', { description: 'The day the price was read from its source (YYYY-MM-DD).' }),
  }),
});

const ProviderDriverRef = builder.objectRef<LlmDriver>('ProviderDriver').implement({
  description: 'A provider driver Agora can call.',
  fields: (t) => ({
    id: t.field({ type: ProviderKindEnum, resolve: (driver) => driver.kind }),
    name: t.string({ resolve: (driver) => providerName(driver.kind) }),
    defaultModel: t.string({ resolve: (driver) => defaultModel(driver.kind) }),
    requiresApiKey: t.exposeBoolean('requiresApiKey'),
    available: t.boolean({
      description: 'Whether the viewer can use it now: no key needed, or a key is found for the viewer.',
      resolve: (driver, _args, { services, viewer }) => (viewer ? services.calls.isAvailable(viewer, driver.kind) : false),
    }),
    pricingNote: t.string({ description: 'How this provider\u2019s calls are priced.', resolve: (driver) => pricingNote(driver.kind) }),
    priceCatalogue: t.field({ type: PriceCatalogueRef, resolve: () => PRICE_CATALOGUE }),
    models: t.field({
      type: [ModelInfoRef],
      description: 'The provider\u2019s models at the prices in force now; with configurationId, at the prices calls through that configuration pay.',
      args: { configurationId: t.arg.id() },
      resolve: async (driver, { configurationId }, { services }) => {
        if (!configurationId) return [...modelsFor(driver.kind)];
        const row = await services.providers.get(configurationId);
        return [...modelsFor(driver.kind, row.provider === driver.kind ? (row.config.prices as ConfiguredPrices | undefined) : null)];
      },
    }),
  }),
});

const CircuitStateEnum = builder.enumType('CircuitState', {
  description: 'A configuration\u2019s circuit breaker: CLOSED serves; OPEN is skipped (its fallbacks serve) until its cool-down ends; HALF_OPEN lets one trial call through.',
  values: CIRCUIT_STATES,
});

const ProviderHealthRef = builder.objectRef<ProviderHealthView>('ProviderHealth').implement({
  description: 'A configuration\u2019s circuit breaker, shared by every replica.',
  fields: (t) => ({
    state: t.field({ type: CircuitStateEnum, resolve: (health) => health.state }),
    failures: t.exposeInt('failures', { description: 'Failures counted in the current window.' }),
    lastError: t.string({ nullable: true, description: 'The last failure\u2019s message (never a key).', resolve: (health) => health.lastError }),
    lastErrorAt: t.field({ type: 'DateTime', nullable: true, resolve: (health) => health.lastErrorAt }),
    openedAt: t.field({ type: 'DateTime', nullable: true, resolve: (health) => health.openedAt }),
    retryAt: t.field({ type: 'DateTime', nullable: true, description: 'When an open circuit lets its trial call through.', resolve: (health) => health.retryAt }),
  }),
});

/** A configuration's settings as an admin sees them: any URL without its userinfo (saved before the outbound check). */
function shownConfig(config: IntelligenceProvider['config']): IntelligenceProvider['config'] {
  const shown: Record<string, unknown> = { ...config };
  for (const key of ['baseUrl', 'host', 'tokenUrl']) {
    const value = shown[key];
    if (typeof value !== 'string') continue;
    try {
      const url = new URL(value);
      if (!url.username && !url.password) continue;
      url.username = '';
      url.password = '';
      shown[key] = url.toString();
    } catch {
      shown[key] = '(invalid URL)';
    }
  }
  return shown;
}

export const IntelligenceProviderRef: ReturnType<typeof builder.objectRef<IntelligenceProvider>> = builder.objectRef<IntelligenceProvider>('IntelligenceProvider');
IntelligenceProviderRef.implement({
  description: 'A stored provider configuration. At most one is active; its API key is write-only.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    provider: t.field({ type: ProviderKindEnum, resolve: (row) => row.provider }),
    model: t.string({
      description: 'The model calls use: config.model, else the driver default.',
      resolve: (row) => (typeof row.config.model === 'string' ? row.config.model : defaultModel(row.provider)),
    }),
    config: t.field({
      type: 'JSON',
      description: 'The driver settings; members see only the model (never an address), admins all of it, URLs without userinfo.',
      resolve: (row, _args, { viewer }) => (viewer && isAdmin(viewer) ? shownConfig(row.config) : typeof row.config.model === 'string' ? { model: row.config.model } : {}),
    }),
    hasApiKey: t.boolean({ resolve: (row) => row.apiKeyVersion !== null && row.apiKeyVersion !== undefined }),
    apiKeyHint: t.string({
      nullable: true,
      description: 'The stored key\u2019s last characters, for admins; null for members.',
      resolve: (row, _args, { viewer }) => (viewer && isAdmin(viewer) ? (row.apiKeyHint ?? null) : null),
    }),
    health: t.field({
      type: ProviderHealthRef,
      nullable: true,
      description: 'The circuit breaker\u2019s state (admins; null for members).',
      resolve: (row, _args, { viewer, loaders }) => (viewer && isAdmin(viewer) ? loaders.providerHealth.load(row.id) : null),
    }),
    fallbacks: t.field({
      type: [IntelligenceProviderRef],
      description: 'Where a call goes on, in order, when this configuration fails before answering (admins; empty for members).',
      resolve: async (row, _args, { viewer, loaders }) => {
        if (!viewer || !isAdmin(viewer) || !row.fallbackIds?.length) return [];
        const found = await loaders.configurations.loadMany(row.fallbackIds);
        return found.filter((entry): entry is IntelligenceProvider => entry !== null && !(entry instanceof Error));
      },
    }),
    isActive: t.exposeBoolean('isActive'),
    description: t.exposeString('description'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const ProviderTestResultRef = builder
  .objectRef<{ ok: boolean; latencyMs: number; model: string; error: string | null }>('ProviderTestResult')
  .implement({
    fields: (t) => ({
      ok: t.exposeBoolean('ok'),
      latencyMs: t.exposeInt('latencyMs'),
      model: t.exposeString('model'),
      error: t.string({ nullable: true, resolve: (result) => result.error }),
    }),
  });

const inputFields = (required: boolean) =>
  builder.inputType(required ? 'CreateIntelligenceProviderInput' : 'UpdateIntelligenceProviderInput', {
    fields: (t) => ({
      name: t.string({ required }),
      provider: t.field({ type: ProviderKindEnum, required }),
      config: t.field({
        type: 'JSON',
        description: 'model, maxTokens, temperature, timeoutMs, baseUrl (Ollama: host; Copilot: tokenUrl).',
      }),
      apiKey: t.string({ description: 'Write-only. On update: a new key replaces, null removes, omitted keeps.' }),
      description: t.string(),
      isActive: t.boolean(),
      fallbackIds: t.idList({
        description: 'Configurations to go on with, in order, on a retryable failure before the first byte (at most 5; no cycles). On update: [] or null removes them, omitted keeps them.',
      }),
    }),
  });
const CreateInput = inputFields(true);
const UpdateInput = inputFields(false);

const ModelPriceInput = builder.inputType('ModelPriceInput', {
  description: 'A price in USD per 1,000 tokens (exact decimal strings).',
  fields: (t) => ({
    inputCostPer1kTokens: t.field({ type: 'Decimal', required: true }),
    outputCostPer1kTokens: t.field({ type: 'Decimal', required: true }),
    cachedInputCostPer1kTokens: t.field({ type: 'Decimal', description: 'Omitted: cached prompt tokens cost the input price.' }),
    cacheWriteCostPer1kTokens: t.field({ type: 'Decimal', description: 'Omitted: cache writes cost the input price.' }),
    contextWindow: t.int(),
    since: t.field({ type: 'DateTime', description: 'In force from then on; before it, the catalogue\u2019s price applies. Omitted: always.' }),
  }),
});

builder.queryFields((t) => ({
  providers: t.withAuth({ signedIn: true }).field({
    type: [ProviderDriverRef],
    description: 'Every provider driver, with its models and prices.',
    resolve: () => [...listDrivers()],
  }),
  intelligenceProviders: t.withAuth({ signedIn: true }).field({
    type: [IntelligenceProviderRef],
    args: { provider: t.arg({ type: ProviderKindEnum }), isActive: t.arg.boolean(), search: t.arg.string() },
    resolve: (_root, args, { services }) => services.providers.list(args),
  }),
  activeIntelligenceProvider: t.withAuth({ signedIn: true }).field({
    type: IntelligenceProviderRef,
    nullable: true,
    description: 'The active configuration; null when the local provider serves.',
    resolve: (_root, _args, { services }) => services.providers.active(),
  }),
}));

builder.mutationFields((t) => ({
  createIntelligenceProvider: t.withAuth({ admin: true }).field({
    type: IntelligenceProviderRef,
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: (_root, { input }, { services }) => services.providers.create(input),
  }),
  updateIntelligenceProvider: t.withAuth({ admin: true }).field({
    type: IntelligenceProviderRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateInput, required: true }) },
    resolve: (_root, { id, input }, { services }) => services.providers.update(id, input),
  }),
  deleteIntelligenceProvider: t.withAuth({ admin: true }).boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services }) => services.providers.delete(id),
  }),
  activateIntelligenceProvider: t.withAuth({ admin: true }).field({
    type: IntelligenceProviderRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services }) => services.providers.activate(id),
  }),
  deactivateIntelligenceProvider: t.withAuth({ admin: true }).boolean({
    description: 'Deactivates the active configuration (the local provider serves); false if none was active.',
    resolve: (_root, _args, { services }) => services.providers.deactivate(),
  }),
  setModelPrice: t.withAuth({ admin: true }).field({
    type: IntelligenceProviderRef,
    description:
      'Sets (or, with price null, removes) the price of a model for the calls a configuration serves, at once and without a deploy; ' +
      'model "*" prices every model the configuration does not name. Stored in config.prices; it comes before the catalogue.',
    args: {
      configurationId: t.arg.id({ required: true }),
      model: t.arg.string({ required: true }),
      price: t.arg({ type: ModelPriceInput }),
    },
    resolve: async (_root, { configurationId, model, price }, { services }) => {
      const row = await services.providers.get(configurationId);
      const { [model]: _previous, ...others } = (row.config.prices ?? {}) as Record<string, unknown>;
      const entry = price && {
        inputCostPer1kTokens: price.inputCostPer1kTokens,
        outputCostPer1kTokens: price.outputCostPer1kTokens,
        ...(price.cachedInputCostPer1kTokens != null ? { cachedInputCostPer1kTokens: price.cachedInputCostPer1kTokens } : {}),
        ...(price.cacheWriteCostPer1kTokens != null ? { cacheWriteCostPer1kTokens: price.cacheWriteCostPer1kTokens } : {}),
        ...(price.contextWindow != null ? { contextWindow: price.contextWindow } : {}),
        ...(price.since ? { since: price.since.toISOString() } : {}),
        setOn: new Date().toISOString().slice(0, 10),
      };
      const prices = entry ? { ...others, [model]: entry } : others;
      const { prices: _old, ...rest } = row.config;
      // Validated like any config (parseProviderConfig): a bad price is BAD_USER_INPUT naming its field.
      return services.providers.update(configurationId, { config: Object.keys(prices).length ? { ...rest, prices } : rest });
    },
  }),
  resetIntelligenceProviderHealth: t.withAuth({ admin: true }).field({
    type: IntelligenceProviderRef,
    description: 'Closes the configuration\u2019s circuit breaker at once, in every replica (e.g. after fixing its key).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services }) => services.providers.resetHealth(id),
  }),
  testIntelligenceProvider: t.withAuth({ admin: true }).field({
    type: ProviderTestResultRef,
    description: 'Sends a tiny prompt through the configuration. A failing provider is ok: false, not an error.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, viewer, request }) =>
      services.calls.testConfiguration(viewer, id, request?.signal ?? new AbortController().signal),
  }),
}));
