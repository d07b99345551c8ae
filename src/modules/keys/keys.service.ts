import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, notFound } from '../../errors.ts';
import { type SecretBox, secretHint } from '../../security/secret-box.ts';
import { isUuid } from '../../db/query.ts';
import type { KeyKind } from '../../llm/provider-kinds.ts';
import { type ApiKey, ApiKeySchema } from './api-key.entity.ts';
import type { CachedUserKey, RoutingCache } from '../providers/routing-cache.ts';

export interface NewApiKey {
  provider: KeyKind;
  apiKey: string;
  label?: string | null;
}

/** The associated data binding a sealed key to its row, owner and provider. */
export function apiKeyAad(key: { id: string; provider: KeyKind }, userId: string): string {
  return `auth.api_keys:${key.id}:${userId}:${key.provider}`;
}

// Refreshing last_used_at on every call would add a write to every call; a minute's precision is enough.
const LAST_USED_PRECISION_MS = 60_000;

export class KeysService {
  private readonly em: EntityManager;
  private readonly secretBox: SecretBox;
  private readonly cache: RoutingCache | null;

  constructor(em: EntityManager, secretBox: SecretBox, cache?: RoutingCache) {
    this.em = em;
    this.secretBox = secretBox;
    this.cache = cache ?? null;
  }

  list(userId: string): Promise<ApiKey[]> {
    return this.em.find(ApiKeySchema, { user: userId }, { orderBy: { createdAt: 'desc', id: 'asc' } });
  }

  /** Stores a key encrypted; the user's live key for that provider is revoked in the same transaction. */
  async add(userId: string, input: NewApiKey): Promise<ApiKey> {
    const secret = input.apiKey.trim();
    if (!secret) throw badInput('apiKey must not be empty.', { field: 'apiKey' });
    if (secret.length > 4096 || /\s/.test(secret)) {
      throw badInput('apiKey must be a single token of at most 4096 characters.', { field: 'apiKey' });
    }
    const label = input.label?.trim().slice(0, 200) || null;
    const added = await this.em.transactional(async (em) => {
      // Serialises a user's concurrent additions, so the one-live-key rule never trips as an error.
      await em.execute('select 1 from auth.users where id = ? for update', [userId]);
      const now = new Date();
      await em.nativeUpdate(ApiKeySchema, { user: userId, provider: input.provider, revokedAt: null }, { revokedAt: now });
      const key = em.create(ApiKeySchema, {
        user: userId,
        provider: input.provider,
        label,
        ciphertext: '',
        keyVersion: this.secretBox.currentVersion,
        hint: secretHint(secret),
      });
      const sealed = this.secretBox.seal(secret, apiKeyAad(key, userId));
      key.ciphertext = sealed.ciphertext;
      key.keyVersion = sealed.keyVersion;
      await em.flush();
      return key;
    });
    this.cache?.changed({ kind: 'user-keys', userId });
    return added;
  }

  async revoke(userId: string, id: string): Promise<ApiKey> {
    const key = isUuid(id) ? await this.em.findOne(ApiKeySchema, { id, user: userId }) : null;
    if (!key) throw notFound('The API key');
    key.revokedAt ??= new Date();
    await this.em.flush();
    this.cache?.changed({ kind: 'user-keys', userId });
    return key;
  }

  /** The user's live key for a provider, in clear, for a call; null when they have none. */
  async secretFor(userId: string, kind: KeyKind): Promise<string | null> {
    const load = async (): Promise<CachedUserKey> => {
      const key = await this.em.findOne(ApiKeySchema, { user: userId, provider: kind, revokedAt: null }, { populate: ['ciphertext'] });
      if (!key) return { secret: null, keyId: null, lastUsedAt: null };
      // A key that fails its integrity check throws here, and is never cached.
      const secret = this.secretBox.open({ ciphertext: key.ciphertext, keyVersion: key.keyVersion }, apiKeyAad(key, userId));
      return { secret, keyId: key.id, lastUsedAt: key.lastUsedAt?.getTime() ?? null };
    };
    const key = this.cache ? await this.cache.userKey(userId, kind, load) : await load();
    const now = Date.now();
    if (key.keyId && (key.lastUsedAt === null || now - key.lastUsedAt > LAST_USED_PRECISION_MS)) {
      key.lastUsedAt = now;
      await this.em.nativeUpdate(ApiKeySchema, { id: key.keyId }, { lastUsedAt: new Date(now) });
    }
    return key.secret;
  }
}
