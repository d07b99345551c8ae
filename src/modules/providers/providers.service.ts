import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, badInput, notFound, requireText } from '../../errors.ts';
import type { ProviderKind } from '../../llm/types.ts';
import { isUuid, textSearch } from '../../db/query.ts';
import { type SecretBox, secretHint } from '../../security/secret-box.ts';
import { type IntelligenceProvider, IntelligenceProviderSchema } from './intelligence-provider.entity.ts';
import { parseProviderConfig } from './provider-config.ts';
import type { RoutingCache } from './routing-cache.ts';
import type { CircuitBreaker, ProviderHealthView } from './circuit-breaker.ts';

const HEALTHY: ProviderHealthView = { state: 'CLOSED', failures: 0, lastError: null, lastErrorAt: null, openedAt: null, retryAt: null };

export interface ProviderFilter {
  provider?: ProviderKind | null;
  isActive?: boolean | null;
  search?: string | null;
}

export interface ProviderInput {
  name?: string | null;
  provider?: ProviderKind | null;
  config?: unknown;
  /** A new key; null removes the stored one; undefined keeps it. */
  apiKey?: string | null;
  description?: string | null;
  isActive?: boolean | null;
  /** The configurations a failed call goes on with, in order; null or [] removes them; undefined keeps them. */
  fallbackIds?: readonly string[] | null;
}

/** The longest fallback list one configuration may have. */
export const MAX_FALLBACKS = 5;

// Activations queue on this lock, so concurrent ones leave exactly one active row, never zero or two.
const ACTIVATION_LOCK = 727_002;
// Fallback changes queue on this one, so two concurrent changes cannot close a cycle together.
const FALLBACK_LOCK = 727_003;
// The config keys that say where a call goes: changing one must not take the stored key along.
const ENDPOINT_KEYS = ['baseUrl', 'host', 'tokenUrl'] as const;

export function providerKeyAad(id: string): string {
  return `specs.intelligence_providers:${id}`;
}

export class ProvidersService {
  private readonly em: EntityManager;
  private readonly secretBox: SecretBox;
  private readonly cache: RoutingCache | null;

  private readonly breaker: CircuitBreaker | null;

  constructor(em: EntityManager, secretBox: SecretBox, cache?: RoutingCache, breaker?: CircuitBreaker) {
    this.em = em;
    this.secretBox = secretBox;
    this.cache = cache ?? null;
    this.breaker = breaker ?? null;
  }

  /** The configurations' circuit breakers as every replica sees them (read fresh, one query), in the order asked. */
  async healthOf(ids: readonly string[]): Promise<ProviderHealthView[]> {
    const health = this.breaker ? await this.breaker.health(ids) : null;
    return ids.map((id) => health?.get(id) ?? HEALTHY);
  }

  /** Closes the configuration's circuit at once (an operator fixed the provider), in every replica. */
  async resetHealth(id: string): Promise<IntelligenceProvider> {
    const row = await this.get(id);
    await this.breaker?.reset(id);
    return row;
  }

  list(filter: ProviderFilter = {}): Promise<IntelligenceProvider[]> {
    return this.em.find(
      IntelligenceProviderSchema,
      {
        ...(filter.provider ? { provider: filter.provider } : {}),
        ...(typeof filter.isActive === 'boolean' ? { isActive: filter.isActive } : {}),
        $and: textSearch(['name', 'description'], filter.search),
      },
      { orderBy: { name: 'asc' } },
    );
  }

  active(): Promise<IntelligenceProvider | null> {
    return this.em.findOne(IntelligenceProviderSchema, { isActive: true });
  }

  async get(id: string): Promise<IntelligenceProvider> {
    const found = isUuid(id) ? await this.em.findOne(IntelligenceProviderSchema, { id }) : null;
    if (!found) throw notFound('The intelligence provider');
    return found;
  }

  async create(input: ProviderInput): Promise<IntelligenceProvider> {
    const name = requireText('name', input.name, 120);
    if (!input.provider) throw badInput('provider is required.', { field: 'provider' });
    const config = parseProviderConfig(input.provider, input.config);
    return this.writing(name, async (em) => {
      const row = em.create(IntelligenceProviderSchema, {
        name,
        provider: input.provider!,
        config: { ...config },
        description: input.description?.trim() ?? '',
        isActive: false,
      });
      this.setApiKey(row, input.apiKey);
      await em.flush();
      if (input.fallbackIds?.length) row.fallbackIds = await this.checkedFallbacks(em, row.id, input.fallbackIds);
      if (input.isActive) {
        await this.activateWithin(em, row.id);
        row.isActive = true;
      }
      await em.flush();
      return row;
    });
  }

  async update(id: string, input: ProviderInput): Promise<IntelligenceProvider> {
    const current = await this.get(id);
    const name = input.name === undefined || input.name === null ? current.name : requireText('name', input.name, 120);
    const kind = input.provider ?? current.provider;
    // Changing the kind re-validates the old config against the new driver unless a new one is given.
    const config = input.config !== undefined || kind !== current.provider ? parseProviderConfig(kind, input.config ?? current.config) : null;
    return this.writing(name, async (em) => {
      const row = await em.findOneOrFail(IntelligenceProviderSchema, { id }, { populate: ['apiKeyCiphertext'] });
      if (config && row.apiKeyVersion !== null && input.apiKey === undefined) {
        const moved = ENDPOINT_KEYS.find((key) => (config as Record<string, unknown>)[key] !== row.config[key]);
        if (moved) {
          throw badInput(`Changing config.${moved} would send the stored API key to another address: give apiKey again (or null to remove it).`, {
            field: 'apiKey',
          });
        }
      }
      row.name = name;
      row.provider = kind;
      if (config) row.config = { ...config };
      if (input.fallbackIds !== undefined) row.fallbackIds = input.fallbackIds?.length ? await this.checkedFallbacks(em, id, input.fallbackIds) : [];
      if (input.description !== undefined && input.description !== null) row.description = input.description.trim();
      if (input.apiKey !== undefined) this.setApiKey(row, input.apiKey);
      await em.flush();
      if (input.isActive === true) await this.activateWithin(em, row.id);
      if (input.isActive === false && row.isActive) {
        await em.nativeUpdate(IntelligenceProviderSchema, { id }, { isActive: false });
      }
      await em.refresh(row);
      return row;
    }, id);
  }

  async delete(id: string): Promise<boolean> {
    const row = await this.get(id);
    await this.em.remove(row).flush();
    this.changed();
    return true;
  }

  async activate(id: string): Promise<IntelligenceProvider> {
    await this.get(id);
    const row = await this.em.transactional(async (em) => {
      await this.activateWithin(em, id);
      return em.findOneOrFail(IntelligenceProviderSchema, { id }, { refresh: true });
    });
    this.changed();
    return row;
  }

  /** Returns whether a configuration was active. */
  async deactivate(): Promise<boolean> {
    const was = await this.em.transactional(async (em) => {
      await em.execute('select pg_advisory_xact_lock(?)', [ACTIVATION_LOCK]);
      return (await em.nativeUpdate(IntelligenceProviderSchema, { isActive: true }, { isActive: false })) > 0;
    });
    this.changed();
    return was;
  }

  /**
   * A fallback list as given, checked: existing configurations, not the configuration itself, no repeats,
   * at most MAX_FALLBACKS, and no cycle through the other configurations' lists (A -> B -> A).
   */
  private async checkedFallbacks(em: EntityManager, id: string, fallbackIds: readonly string[]): Promise<string[]> {
    const field = { field: 'fallbackIds' };
    if (fallbackIds.length > MAX_FALLBACKS) throw badInput(`fallbackIds takes at most ${MAX_FALLBACKS} configurations.`, field);
    if (new Set(fallbackIds).size !== fallbackIds.length) throw badInput('fallbackIds names a configuration twice.', field);
    if (fallbackIds.includes(id)) throw badInput('A configuration cannot be its own fallback.', field);
    await em.execute('select pg_advisory_xact_lock(?)', [FALLBACK_LOCK]);
    const rows = await em.execute<{ id: string; name: string; fallback_ids: string[] }[]>('select id, name, fallback_ids from specs.intelligence_providers');
    const byId = new Map(rows.map((row) => [row.id, row]));
    const unknown = fallbackIds.find((fallback) => !isUuid(fallback) || !byId.has(fallback));
    if (unknown !== undefined) throw badInput(`fallbackIds: no configuration has the id "${unknown.slice(0, 64)}".`, field);
    // Walk what the new list reaches; reaching `id` again closes a cycle.
    const seen = new Set<string>();
    const walk = (from: string, path: string[]): void => {
      for (const next of from === id ? fallbackIds : (byId.get(from)?.fallback_ids ?? [])) {
        if (next === id) {
          const names = [...path, next].map((step) => byId.get(step)?.name ?? step);
          throw badInput(`fallbackIds would make a cycle: ${names.join(' -> ')}.`, field);
        }
        if (seen.has(next)) continue;
        seen.add(next);
        walk(next, [...path, next]);
      }
    };
    walk(id, [id]);
    return [...fallbackIds];
  }

  /** Configurations by id, in the order asked, null for one that is gone (one query: configurations' fallbacks). */
  async byIds(ids: readonly string[]): Promise<(IntelligenceProvider | null)[]> {
    const rows = ids.length ? await this.em.find(IntelligenceProviderSchema, { id: { $in: [...ids] } }) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  private async activateWithin(em: EntityManager, id: string): Promise<void> {
    await em.execute('select pg_advisory_xact_lock(?)', [ACTIVATION_LOCK]);
    await em.nativeUpdate(IntelligenceProviderSchema, { isActive: true, id: { $ne: id } }, { isActive: false });
    await em.nativeUpdate(IntelligenceProviderSchema, { id }, { isActive: true });
  }

  private setApiKey(row: IntelligenceProvider, apiKey: string | null | undefined): void {
    if (apiKey === undefined) return;
    const key = apiKey?.trim();
    if (!key) {
      row.apiKeyCiphertext = null;
      row.apiKeyVersion = null;
      row.apiKeyHint = null;
      return;
    }
    const sealed = this.secretBox.seal(key, providerKeyAad(row.id));
    row.apiKeyCiphertext = sealed.ciphertext;
    row.apiKeyVersion = sealed.keyVersion;
    row.apiKeyHint = secretHint(key);
  }

  /** Routing reads configurations from a per-process cache: every change drops it, in every replica. */
  private changed(): void {
    this.cache?.changed({ kind: 'providers' });
  }

  private async writing<T>(name: string, work: (em: EntityManager) => Promise<T>, exceptId?: string): Promise<T> {
    try {
      const result = await this.em.transactional(async (em) => {
        const clash = await em.findOne(IntelligenceProviderSchema, { name, ...(exceptId ? { id: { $ne: exceptId } } : {}) });
        if (clash) throw conflictingName(name);
        return work(em);
      });
      this.changed();
      return result;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflictingName(name);
      throw error;
    }
  }
}

function conflictingName(name: string): AppError {
  return new AppError('CONFLICT', `An intelligence provider named "${name}" already exists.`);
}
