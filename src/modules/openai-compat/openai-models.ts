// Model names as OpenAI clients send them: `<provider>/<model id>` (openai/gpt-4o-mini), a bare id of the
// catalogue (served by the provider that lists it), or `agora/default` (the routing of callLlm).
import { findModel, modelsFor, PRICES_TAKEN_ON } from '../../llm/catalogue.ts';
import { PROVIDER_KIND_INFO, PROVIDER_KINDS, providerName, type ProviderKind } from '../../llm/provider-kinds.ts';
import { refused } from './openai-errors.ts';

export const DEFAULT_MODEL_NAME = 'agora/default';

/** The kinds that answer prompts (LOCAL is rule-based and answers none), in the contract's order. */
const REMOTE_KINDS = PROVIDER_KINDS.filter((kind) => PROVIDER_KIND_INFO[kind].remote);

/** What a model name routes to; both null for agora/default. */
export interface ModelTarget {
  provider: ProviderKind | null;
  model: string | null;
}

export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export type Availability = (kind: ProviderKind) => Promise<boolean>;

export function slugOf(kind: ProviderKind): string {
  return kind.toLowerCase();
}

export function publicModelName(kind: ProviderKind, model: string): string {
  return `${slugOf(kind)}/${model}`;
}

const modelNotFound = (name: string, why: string) =>
  refused('model', `The model '${name.slice(0, 200)}' does not exist${why}`, 'model_not_found', 'NOT_FOUND');

function kindOfSlug(slug: string): ProviderKind | null {
  return PROVIDER_KINDS.find((kind) => slugOf(kind) === slug.toLowerCase()) ?? null;
}

/**
 * Resolves a model name. A bare id two providers list (gpt-4o: OpenAI and Copilot) goes to the first of
 * them the viewer can use, in the contract's order; `available` is only asked then.
 */
export async function resolveModelName(name: string, available: Availability): Promise<ModelTarget> {
  if (name === DEFAULT_MODEL_NAME) return { provider: null, model: null };
  const slash = name.indexOf('/');
  const kind = slash > 0 ? kindOfSlug(name.slice(0, slash)) : null;
  if (kind) {
    const model = name.slice(slash + 1);
    if (!model) throw modelNotFound(name, `: name a model after "${slugOf(kind)}/".`);
    if (kind === 'LOCAL') throw modelNotFound(name, ': the local provider is rule-based and answers no prompt.');
    // Ids the catalogue does not list are served (new models appear weekly), unless another provider lists them.
    const owners = findModel(kind, model) ? [] : REMOTE_KINDS.filter((other) => findModel(other, model));
    if (owners.length) {
      throw modelNotFound(name, `: "${model}" is a model of ${providerName(owners[0]!)}; ask for ${owners.map((owner) => `'${publicModelName(owner, model)}'`).join(' or ')}.`);
    }
    return { provider: kind, model };
  }
  const listing = REMOTE_KINDS.filter((candidate) => findModel(candidate, name));
  if (!listing.length) {
    throw modelNotFound(name, `. Name it as '<provider>/<model id>' (openai/gpt-4o-mini), or '${DEFAULT_MODEL_NAME}'; GET /v1/models lists what you can call.`);
  }
  for (const candidate of listing.length > 1 ? listing : []) if (await available(candidate)) return { provider: candidate, model: name };
  return { provider: listing[0]!, model: name };
}

// The catalogue does not date models; the day its prices were read is the closest honest date it has.
const CATALOGUE_DATE = Math.floor(Date.parse(PRICES_TAKEN_ON) / 1000);

/** agora/default and every model of the providers the viewer can use now. */
export async function listModels(available: Availability): Promise<ModelEntry[]> {
  const entries: ModelEntry[] = [{ id: DEFAULT_MODEL_NAME, object: 'model', created: CATALOGUE_DATE, owned_by: 'agora' }];
  // One after the other: the lookups share the request's EntityManager.
  for (const kind of REMOTE_KINDS) {
    if (!(await available(kind))) continue;
    for (const model of modelsFor(kind)) entries.push({ id: publicModelName(kind, model.id), object: 'model', created: CATALOGUE_DATE, owned_by: slugOf(kind) });
  }
  return entries;
}
