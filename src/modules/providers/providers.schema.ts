import { builder } from '../../graphql/builder.ts';
import { defaultModel, modelsFor, type ModelInfo } from '../../llm/catalogue.ts';
import { PROVIDER_KINDS, providerName } from '../../llm/provider-kinds.ts';
import { listDrivers } from '../../llm/registry.ts';
import type { LlmDriver } from '../../llm/types.ts';
import type { IntelligenceProvider } from './intelligence-provider.entity.ts';

export const ProviderKindEnum = builder.enumType('ProviderKind', { values: PROVIDER_KINDS });

const ModelInfoRef = builder.objectRef<ModelInfo>('ModelInfo').implement({
  description: 'A model of a provider, with its prices in USD per 1,000 tokens (exact decimals).',
  fields: (t) => ({
    id: t.exposeString('id'),
    inputCostPer1kTokens: t.expose('inputCostPer1kTokens', { type: 'Decimal' }),
    outputCostPer1kTokens: t.expose('outputCostPer1kTokens', { type: 'Decimal' }),
    contextWindow: t.int({ nullable: true, resolve: (model) => model.contextWindow }),
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
    models: t.field({ type: [ModelInfoRef], resolve: (driver) => [...modelsFor(driver.kind)] }),
  }),
});

export const IntelligenceProviderRef = builder.objectRef<IntelligenceProvider>('IntelligenceProvider').implement({
  description: 'A stored provider configuration. At most one is active; its API key is write-only.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    provider: t.field({ type: ProviderKindEnum, resolve: (row) => row.provider }),
    model: t.string({
      description: 'The model calls use: config.model, else the driver default.',
      resolve: (row) => (typeof row.config.model === 'string' ? row.config.model : defaultModel(row.provider)),
    }),
    config: t.field({ type: 'JSON', resolve: (row) => row.config }),
    hasApiKey: t.boolean({ resolve: (row) => row.apiKeyVersion !== null && row.apiKeyVersion !== undefined }),
    apiKeyHint: t.string({ nullable: true, resolve: (row) => row.apiKeyHint ?? null }),
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
    }),
  });
const CreateInput = inputFields(true);
const UpdateInput = inputFields(false);

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
  testIntelligenceProvider: t.withAuth({ admin: true }).field({
    type: ProviderTestResultRef,
    description: 'Sends a tiny prompt through the configuration. A failing provider is ok: false, not an error.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, { services, viewer, request }) =>
      services.calls.testConfiguration(viewer, id, request?.signal ?? new AbortController().signal),
  }),
}));
