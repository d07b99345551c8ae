// Stage 1 of a call, routing: which configuration, model, key, project and prices serve it. The rule
// lives here and only here: the explicit provider, else the project's LLM, else the active configuration,
// else LOCAL; the key is the caller's own, else the configuration's, else the environment's.
import { AppError, badInput } from '../../errors.ts';
import { defaultModel, findModel, type ModelInfo } from '../../llm/catalogue.ts';
import { PROVIDER_KINDS, providerName } from '../../llm/provider-kinds.ts';
import { getDriver } from '../../llm/registry.ts';
import type { DriverSettings, ProviderKind } from '../../llm/types.ts';
import { SecretDecryptionError } from '../../security/secret-box.ts';
import type { Actor } from '../auth/actor.ts';
import { endpointOf } from '../providers/provider-config.ts';
import type { ProviderRouting } from '../providers/provider-routing.ts';
import type { RoutingConfiguration } from '../providers/routing-cache.ts';

/** Where a call should go, as the caller names it; everything is optional. */
export interface RouteTarget {
  provider?: ProviderKind | null;
  model?: string | null;
  projectId?: string | null;
  /** Serve the call with exactly this configuration and its own key (testIntelligenceProvider). */
  configuration?: RoutingConfiguration;
}

/** A prepared call: decided once, then executed (and, later, retried elsewhere) from this. */
export interface Route {
  kind: ProviderKind;
  model: string;
  /** The catalogue's entry for the model (prices, context window); null for a model it does not list. */
  modelInfo: ModelInfo | null;
  configuration: RoutingConfiguration | null;
  projectId: string | null;
  /** The configuration's defaults, used when the call names none. */
  defaults: { maxTokens?: number; temperature?: number };
  settings: DriverSettings;
  /** Whose key the call uses: a rejected user key says nothing of the configuration's health. */
  keySource: 'user' | 'configuration' | 'environment' | null;
  /** Where the call goes on after a retryable failure, in order (empty for a pinned configuration). */
  fallbacks: readonly RoutingConfiguration[];
}

/** The LLM a project routes to; NOT_FOUND when the actor may not use the project. */
export type ProjectLlmLookup = (actor: Actor, projectId: string) => Promise<{ provider: ProviderKind | null; model: string | null }>;

/** The provider keys of last resort, from the environment (see config). */
export type EnvironmentKeys = Partial<Record<ProviderKind, string | undefined>>;

/** Looks up the actor's own key for a provider (the keys module); null when they have none. */
export type UserKeyLookup = (userId: string, kind: ProviderKind) => Promise<string | null>;

export interface RouterDeps {
  routing: ProviderRouting;
  /** Picks within a load-balanced group (tests inject one); Math.random by default. */
  random?: () => number;
  environmentKeys: EnvironmentKeys;
  userKey: UserKeyLookup;
  projectLlm: ProjectLlmLookup;
}

export class CallRouter {
  private readonly deps: RouterDeps;

  constructor(deps: RouterDeps) {
    this.deps = deps;
  }

  async prepare(actor: Actor, target: RouteTarget): Promise<Route> {
    const project = target.projectId ? await this.deps.projectLlm(actor, target.projectId) : null;
    const pinned = target.configuration ?? null;
    const named = pinned?.provider ?? target.provider ?? project?.provider ?? null;
    const active = pinned || named ? null : await this.deps.routing.active();
    const kind: ProviderKind = named ?? active?.provider ?? 'LOCAL';
    const chosen = pinned ?? (named ? await this.deps.routing.forKind(kind) : active);
    // A configuration in a group shares the call with its group by weight; the others follow as fallbacks.
    const group = chosen && !pinned && chosen.config.group ? await this.deps.routing.groupOf(chosen) : null;
    const order = group && group.length > 1 ? weightedOrder(group, this.deps.random ?? Math.random) : null;
    const configuration = order?.[0] ?? chosen;
    const projectModel = project?.provider === kind ? project.model : null;
    const model = target.model?.trim() || projectModel || configuration?.config.model || defaultModel(kind);
    // Testing a configuration tests its own key, not the admin's, and nothing else.
    const route = await this.routeThrough(pinned ? null : actor, kind, configuration, model, target.projectId ?? null);
    const fallbacks = configuration && !pinned ? await this.fallbacksAfter(configuration, order) : [];
    return fallbacks.length ? { ...route, fallbacks } : route;
  }

  /** The group's other members (in their weighted order), then the configuration's own fallbacks, each once. */
  private async fallbacksAfter(configuration: RoutingConfiguration, group: RoutingConfiguration[] | null): Promise<RoutingConfiguration[]> {
    const own = await this.deps.routing.fallbacksOf(configuration);
    if (!group) return own;
    const rest = group.slice(1);
    const seen = new Set([configuration.id, ...rest.map((row) => row.id)]);
    return [...rest, ...own.filter((row) => !seen.has(row.id))];
  }

  /**
   * A fallback of a prepared route: the configuration's own model, key resolution and prices, for the same
   * caller and project. Throws API_KEY_REQUIRED when no key is found for it.
   */
  fallback(actor: Actor, route: Route, configuration: RoutingConfiguration): Promise<Route> {
    const model = configuration.config.model || defaultModel(configuration.provider);
    return this.routeThrough(actor, configuration.provider, configuration, model, route.projectId);
  }

  private async routeThrough(actor: Actor | null, kind: ProviderKind, configuration: RoutingConfiguration | null, model: string, projectId: string | null): Promise<Route> {
    const config = configuration?.config ?? {};
    // New models appear weekly: any id is served; one the catalogue does not price costs NULL (unknown).
    requireModelId(kind, model);
    const key = getDriver(kind).requiresApiKey ? await this.resolveKey(actor, kind, configuration) : null;
    return {
      kind,
      model,
      modelInfo: findModel(kind, model, config.prices),
      configuration,
      projectId,
      defaults: {
        ...(config.maxTokens !== undefined ? { maxTokens: config.maxTokens } : {}),
        ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
      },
      settings: { apiKey: key?.secret ?? null, baseUrl: endpointOf(config), tokenUrl: config.tokenUrl, timeoutMs: config.timeoutMs },
      keySource: key?.source ?? null,
      fallbacks: [],
    };
  }

  /** Whether `kind` can serve the actor now: no key needed, or a key is found where routing would look. */
  async isAvailable(actor: Actor, kind: ProviderKind): Promise<boolean> {
    if (!getDriver(kind).requiresApiKey) return true;
    if (this.deps.environmentKeys[kind]) return true;
    if (await this.deps.userKey(actor.id, kind)) return true;
    const configuration = await this.deps.routing.forKind(kind);
    return configuration !== null && configuration.apiKeyVersion !== null;
  }

  private async resolveKey(actor: Actor | null, kind: ProviderKind, configuration: RoutingConfiguration | null): Promise<{ secret: string; source: 'user' | 'configuration' | 'environment' }> {
    const own = actor ? await unsealed(() => this.deps.userKey(actor.id, kind), 'Your stored key for this provider') : null;
    if (own) return { secret: own, source: 'user' };
    const configured = configuration
      ? await unsealed(async () => this.deps.routing.keyOf(configuration), `The key of configuration "${configuration.name}"`)
      : null;
    if (configured) return { secret: configured, source: 'configuration' };
    const fromEnvironment = this.deps.environmentKeys[kind];
    if (fromEnvironment) return { secret: fromEnvironment, source: 'environment' };
    throw new AppError(
      'API_KEY_REQUIRED',
      `${providerName(kind)} needs an API key: add your own with addApiKey, or ask an admin to configure one.`,
      { provider: kind },
    );
  }
}

/**
 * A group's members in the order a call tries them: the first drawn by weight (config.weight, default 1),
 * then the rest drawn the same way from those left.
 */
export function weightedOrder<Member extends { config: { weight?: number } }>(members: readonly Member[], random: () => number): Member[] {
  const left = [...members];
  const order: Member[] = [];
  while (left.length) {
    const total = left.reduce((sum, member) => sum + (member.config.weight ?? 1), 0);
    let draw = random() * total;
    let index = left.findIndex((member) => (draw -= member.config.weight ?? 1) < 0);
    if (index < 0) index = left.length - 1;
    order.push(...left.splice(index, 1));
  }
  return order;
}

const MODEL_ID = /^[\w.:/@+-]{1,200}$/;

/**
 * The rule for a model id: any id as providers spell them (gpt-4o-mini, claude-sonnet-4-20250514,
 * models/gemini-2.5-pro, qwen2.5:7b), listed or not, except one the catalogue lists for another provider
 * only (gpt-4o asked of Claude is a mistake, not a new model).
 */
export function requireModelId(kind: ProviderKind, model: string): void {
  if (!MODEL_ID.test(model)) throw badInput('model must be 1 to 200 letters, digits and . : / @ + _ - characters.', { field: 'model' });
  if (findModel(kind, model)) return;
  const owners = PROVIDER_KINDS.filter((other) => other !== kind && findModel(other, model));
  if (owners.length) {
    throw badInput(`"${model}" is a model of ${owners.map(providerName).join(', ')}, not of ${providerName(kind)}.`, { field: 'model' });
  }
}

/** A secret that fails its integrity check is reported plainly (and never used), not masked. */
async function unsealed(read: () => Promise<string | null>, what: string): Promise<string | null> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof SecretDecryptionError) {
      throw new AppError('INTERNAL_SERVER_ERROR', `${what} failed its integrity check and was not used; add it again.`);
    }
    throw error;
  }
}
