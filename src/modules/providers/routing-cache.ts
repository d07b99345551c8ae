import type { ProviderKind } from '../../llm/types.ts';
import type { CircuitState } from './intelligence-provider.entity.ts';
import type { ProviderConfig } from './provider-config.ts';

/** What routing needs of a provider configuration; the sealed key stays sealed until a call needs it. */
export interface RoutingConfiguration {
  id: string;
  name: string;
  provider: ProviderKind;
  config: ProviderConfig;
  isActive: boolean;
  apiKeyVersion: number | null;
  apiKeyCiphertext: string | null;
  /** The configurations a failed call goes on with, in order (see calls/call-chain.ts). */
  fallbackIds: string[];
  updatedAt: Date;
}

/** A user's live key for a provider as last read: the key in clear, or null when they have none. */
export interface CachedUserKey {
  secret: string | null;
  keyId: string | null;
  lastUsedAt: number | null;
}

/** A budget as admission looks it up: which calls it applies to (see modules/budgets). */
export interface BudgetTarget {
  id: string;
  scope: 'GLOBAL' | 'USER' | 'PROJECT';
  userId: string | null;
  projectId: string | null;
  allowUnpriced: boolean;
  name: string;
}

/** A configuration's circuit breaker as admission reads it (see circuit-breaker.ts); times in epoch ms. */
export interface CachedHealth {
  state: CircuitState;
  failures: number;
  openedAt: number | null;
  trialAt: number | null;
}

/** Which part of the routing data changed; travels between replicas on the `routing:changed` channel. */
export type RoutingChange = { kind: 'providers' } | { kind: 'user-keys'; userId: string } | { kind: 'budgets' } | { kind: 'health' };

interface Snapshot<T> {
  value: T;
  cachedAt: number;
}

/**
 * What every call reads before it can go out: the provider configurations (with their keys, opened once),
 * their circuit breakers and the caller's own keys. Kept per process so a call costs no lookup, and dropped on every change:
 * at once here and, through the pub/sub, in every replica sharing REDIS_URL; without Redis, other replicas
 * notice within the TTL (5 s for configurations, 30 s for user keys).
 *
 * A write bumps the generation; a read that started before the write never stores what it read, so a
 * read racing a change cannot put the old state back.
 */
export class RoutingCache {
  private generation = 0;
  private providers: Snapshot<RoutingConfiguration[]> | null = null;
  private budgets: Snapshot<BudgetTarget[]> | null = null;
  private healthRows: Snapshot<ReadonlyMap<string, CachedHealth>> | null = null;
  private readonly openedKeys = new WeakMap<RoutingConfiguration, string>();
  private readonly userKeys = new Map<string, Snapshot<CachedUserKey>>();
  private readonly publish: (change: RoutingChange) => void;
  private readonly providerTtlMs: number;
  private readonly userKeyTtlMs: number;
  private readonly maxUserKeys: number;

  constructor(options: { publish?: (change: RoutingChange) => void; providerTtlMs?: number; userKeyTtlMs?: number; maxUserKeys?: number } = {}) {
    this.publish = options.publish ?? (() => {});
    this.providerTtlMs = options.providerTtlMs ?? 5_000;
    this.userKeyTtlMs = options.userKeyTtlMs ?? 30_000;
    this.maxUserKeys = options.maxUserKeys ?? 10_000;
  }

  configurations(load: () => Promise<RoutingConfiguration[]>, now = Date.now()): Promise<RoutingConfiguration[]> {
    return this.snapshot(this.providers, (kept) => (this.providers = kept), load, now);
  }

  /** Every budget's target: a call under no budget then costs no lookup at all. Same TTL as configurations. */
  budgetTargets(load: () => Promise<BudgetTarget[]>, now = Date.now()): Promise<BudgetTarget[]> {
    return this.snapshot(this.budgets, (kept) => (this.budgets = kept), load, now);
  }

  /**
   * Every configuration's breaker that is not plainly healthy, by configuration id: a call on a healthy
   * provider then costs no lookup. Same TTL as configurations; dropped by every `health` change.
   */
  health(load: () => Promise<ReadonlyMap<string, CachedHealth>>, now = Date.now()): Promise<ReadonlyMap<string, CachedHealth>> {
    return this.snapshot(this.healthRows, (kept) => (this.healthRows = kept), load, now);
  }

  /** Bumped by every change: a caller can tell whether anything changed since it last looked. */
  get version(): number {
    return this.generation;
  }

  /** A whole-list snapshot: served while fresh; a load that raced a change is returned but not kept. */
  private async snapshot<T>(cached: Snapshot<T> | null, keep: (snapshot: Snapshot<T>) => void, load: () => Promise<T>, now: number): Promise<T> {
    if (cached && now - cached.cachedAt < this.providerTtlMs) return cached.value;
    const generation = this.generation;
    const value = await load();
    if (generation === this.generation) keep({ value, cachedAt: now });
    return value;
  }

  /** The kind of a configuration this process holds, without reading anything (labels for metrics); null when not held. */
  kindOf(configurationId: string): ProviderKind | null {
    return this.providers?.value.find((row) => row.id === configurationId)?.provider ?? null;
  }

  /** The configuration's key in clear, opened once per cached configuration. A failure is never kept. */
  openedKey(configuration: RoutingConfiguration, open: () => string): string {
    const known = this.openedKeys.get(configuration);
    if (known !== undefined) return known;
    const secret = open();
    this.openedKeys.set(configuration, secret);
    return secret;
  }

  async userKey(userId: string, kind: string, load: () => Promise<CachedUserKey>, now = Date.now()): Promise<CachedUserKey> {
    const id = `${userId}:${kind}`;
    const cached = this.userKeys.get(id);
    if (cached && now - cached.cachedAt < this.userKeyTtlMs) return cached.value;
    const generation = this.generation;
    const value = await load();
    if (generation === this.generation) {
      this.userKeys.delete(id);
      if (this.userKeys.size >= this.maxUserKeys) {
        const oldest = this.userKeys.keys().next().value;
        if (oldest !== undefined) this.userKeys.delete(oldest);
      }
      this.userKeys.set(id, { value, cachedAt: now });
    }
    return value;
  }

  /** A change made by this process: dropped here and announced to the other replicas. */
  changed(change: RoutingChange): void {
    this.apply(change);
    this.publish(change);
  }

  /** A change announced by any replica (this one included). */
  apply(change: RoutingChange): void {
    this.generation += 1;
    if (change.kind === 'providers') {
      this.providers = null;
      return;
    }
    if (change.kind === 'budgets') {
      this.budgets = null;
      return;
    }
    if (change.kind === 'health') {
      this.healthRows = null;
      return;
    }
    const prefix = `${change.userId}:`;
    for (const id of this.userKeys.keys()) if (id.startsWith(prefix)) this.userKeys.delete(id);
  }

  /** Forgets everything, e.g. after the database was changed behind the gateway's back. */
  clear(): void {
    this.generation += 1;
    this.providers = null;
    this.budgets = null;
    this.healthRows = null;
    this.userKeys.clear();
  }
}
