import type { EntityManager } from '@mikro-orm/postgresql';
import { isUuid } from '../../db/query.ts';
import { notFound } from '../../errors.ts';
import type { ProviderKind } from '../../llm/provider-kinds.ts';
import type { SecretBox } from '../../security/secret-box.ts';
import type { ProviderConfig } from './provider-config.ts';
import { providerKeyAad } from './providers.service.ts';
import type { RoutingCache, RoutingConfiguration } from './routing-cache.ts';

/**
 * The provider configurations as calls read them: one query for all of them, or none while the
 * process's routing cache holds them (see routing-cache.ts). Keys stay sealed until a call needs one.
 */
export class ProviderRouting {
  private readonly em: EntityManager;
  private readonly secretBox: SecretBox;
  private readonly cache: RoutingCache | null;

  constructor(em: EntityManager, secretBox: SecretBox, cache?: RoutingCache) {
    this.em = em;
    this.secretBox = secretBox;
    this.cache = cache ?? null;
  }

  private all(): Promise<RoutingConfiguration[]> {
    const load = async () => (await this.em.execute<RoutingRow[]>(ROUTING_COLUMNS)).map(toRoutingConfiguration);
    return this.cache ? this.cache.configurations(load) : load();
  }

  async active(): Promise<RoutingConfiguration | null> {
    return (await this.all()).find((row) => row.isActive) ?? null;
  }

  /** The configuration serving an explicitly named kind: the active one if of that kind, else the newest. */
  async forKind(kind: ProviderKind): Promise<RoutingConfiguration | null> {
    let newest: RoutingConfiguration | null = null;
    for (const row of await this.all()) {
      if (row.provider !== kind) continue;
      if (row.isActive) return row;
      if (!newest || row.updatedAt > newest.updatedAt) newest = row;
    }
    return newest;
  }

  /** The configurations that share `configuration`'s traffic: same kind and config.group (itself included). */
  async groupOf(configuration: RoutingConfiguration): Promise<RoutingConfiguration[]> {
    const group = configuration.config.group;
    if (!group) return [configuration];
    return (await this.all()).filter((row) => row.provider === configuration.provider && row.config.group === group);
  }

  /**
   * Where a call through `configuration` goes on when it fails: its fallbacks in order, each followed by its
   * own (depth first), every configuration once, never the first one again. Read from the cached list.
   */
  async fallbacksOf(configuration: RoutingConfiguration): Promise<RoutingConfiguration[]> {
    if (configuration.fallbackIds.length === 0) return [];
    const byId = new Map((await this.all()).map((row) => [row.id, row]));
    const chain: RoutingConfiguration[] = [];
    const seen = new Set([configuration.id]);
    const visit = (ids: readonly string[]): void => {
      for (const id of ids) {
        const next = byId.get(id);
        if (!next || seen.has(id) || chain.length >= MAX_CHAIN) continue;
        seen.add(id);
        chain.push(next);
        visit(next.fallbackIds);
      }
    };
    visit(configuration.fallbackIds);
    return chain;
  }

  /** One configuration, read fresh (testing a configuration). NOT_FOUND when there is none. */
  async byId(id: string): Promise<RoutingConfiguration> {
    const [row] = isUuid(id) ? await this.em.execute<RoutingRow[]>(`${ROUTING_COLUMNS} where id = ?`, [id]) : [];
    if (!row) throw notFound('The intelligence provider');
    return toRoutingConfiguration(row);
  }

  /** A configuration's key in clear, for a call; opened once per cached configuration. */
  keyOf(row: RoutingConfiguration): string | null {
    const { apiKeyCiphertext: ciphertext, apiKeyVersion: keyVersion } = row;
    if (ciphertext === null || keyVersion === null) return null;
    const open = () => this.secretBox.open({ ciphertext, keyVersion }, providerKeyAad(row.id));
    return this.cache ? this.cache.openedKey(row, open) : open();
  }
}

/** The most fallbacks one call tries, however the lists chain. */
const MAX_CHAIN = 10;

const ROUTING_COLUMNS = `select id, name, provider, config, is_active, api_key_version, api_key_ciphertext, fallback_ids, updated_at
  from specs.intelligence_providers`;

interface RoutingRow {
  id: string;
  name: string;
  provider: ProviderKind;
  config: ProviderConfig;
  is_active: boolean;
  api_key_version: number | null;
  api_key_ciphertext: string | null;
  fallback_ids: string[];
  updated_at: Date;
}

function toRoutingConfiguration(row: RoutingRow): RoutingConfiguration {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    config: row.config,
    isActive: row.is_active,
    apiKeyVersion: row.api_key_version,
    apiKeyCiphertext: row.api_key_ciphertext,
    fallbackIds: row.fallback_ids,
    updatedAt: new Date(row.updated_at),
  };
}
