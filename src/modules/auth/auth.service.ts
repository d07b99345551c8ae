import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { AppError, badInput, notFound } from '../../errors.ts';
import { type AccessToken, AccessTokenSchema } from './access-token.entity.ts';
import { bearerToken, generateToken, hashToken, isWellFormedToken, tokenHint } from './token.ts';
import type { TokenCache } from './token-cache.ts';
import { type RateLimitOverride, type Role, type User, UserSchema } from './user.entity.ts';

export interface Viewer {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  tokenId: string;
  /** The user's rate-limit overrides, read with the token (so a call needs no lookup); absent: unknown. */
  rateLimit?: RateLimitOverride;
}

interface TokenRow {
  token_id: string;
  last_used_at: Date | string | null;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  user_id: string;
  email: string;
  name: string | null;
  role: Role;
  rate_limit_rpm: number | null;
  rate_limit_tpm: number | null;
}

export type Authentication = { viewer: Viewer; problem: null } | { viewer: null; problem: string | null };

export interface NewUser {
  email: string;
  name?: string | null;
  role?: Role;
}

// Writing last_used_at on every request would turn every read into a write; a minute's precision is enough.
const LAST_USED_PRECISION_MS = 60_000;

const emailSchema = z.email({ error: 'Enter a valid email address.' }).max(320);

export class AuthService {
  private readonly em: EntityManager;

  private readonly cache: TokenCache | null;
  private readonly onRevoke: ((tokenHash: string) => void) | null;

  constructor(em: EntityManager, options: { cache?: TokenCache; onRevoke?: (tokenHash: string) => void } = {}) {
    this.em = em;
    this.cache = options.cache ?? null;
    this.onRevoke = options.onRevoke ?? null;
  }

  /** Resolves the Authorization header to a viewer. No header: anonymous; a bad token: a problem to report. */
  async authenticate(header: string | null | undefined): Promise<Authentication> {
    if (!header) return { viewer: null, problem: null };
    const token = bearerToken(header);
    if (!token || !isWellFormedToken(token)) {
      return { viewer: null, problem: 'The Authorization header must be "Bearer <token>" with a valid Agora token.' };
    }
    const tokenHash = hashToken(token);
    const now = Date.now();
    const cached = this.cache?.get(tokenHash, now);
    if (cached) {
      await this.touch(tokenHash, cached.viewer.tokenId, cached.lastUsedAt, now);
      return { viewer: cached.viewer, problem: null };
    }
    // Every request that misses the cache passes here: one plain join, no entity hydration. What the cache
    // drops while this reads (a revocation, a changed user) must not come back with the stale row.
    const generation = this.cache?.generation ?? 0;
    const [row] = await this.em.execute<TokenRow[]>(
      `select t.id as token_id, t.last_used_at, t.expires_at, t.revoked_at, u.id as user_id, u.email, u.name, u.role,
              u.rate_limit_rpm, u.rate_limit_tpm
       from auth.access_tokens t join auth.users u on u.id = t.user_id where t.token_hash = ?`,
      [tokenHash],
    );
    const expiresAt = row?.expires_at ? new Date(row.expires_at).getTime() : null;
    if (!row || row.revoked_at || (expiresAt !== null && expiresAt <= now)) {
      return { viewer: null, problem: 'The access token is invalid, expired or revoked.' };
    }
    const viewer: Viewer = {
      id: row.user_id,
      email: row.email,
      name: row.name,
      role: row.role,
      tokenId: row.token_id,
      rateLimit: { requestsPerMinute: row.rate_limit_rpm, tokensPerMinute: row.rate_limit_tpm },
    };
    const lastUsedAt = row.last_used_at ? new Date(row.last_used_at).getTime() : null;
    this.cache?.set(tokenHash, { viewer, expiresAt, lastUsedAt }, now, generation);
    await this.touch(tokenHash, row.token_id, lastUsedAt, now);
    return { viewer, problem: null };
  }

  private async touch(tokenHash: string, tokenId: string, lastUsedAt: number | null, now: number): Promise<void> {
    if (lastUsedAt !== null && now - lastUsedAt <= LAST_USED_PRECISION_MS) return;
    this.cache?.markUsed(tokenHash, now);
    await this.em.execute('update auth.access_tokens set last_used_at = ? where id = ?', [new Date(now), tokenId]);
  }

  /** Creates a user and its first token, in one transaction. */
  async createUser(input: NewUser): Promise<{ user: User; token: string }> {
    const email = normalizeEmail(input.email);
    try {
      return await this.em.transactional(async (em) => {
        if (await em.count(UserSchema, { email })) throw conflictingEmail(email);
        const user = em.create(UserSchema, { email, name: input.name?.trim() || null, role: input.role ?? 'MEMBER' });
        const { token } = this.issueToken(em, user, 'first token');
        await em.flush();
        return { user, token };
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw conflictingEmail(email);
      throw error;
    }
  }

  async createAccessToken(userId: string, name?: string | null): Promise<{ record: AccessToken; token: string }> {
    const user = await this.em.findOne(UserSchema, { id: userId });
    if (!user) throw notFound('The user');
    const issued = this.issueToken(this.em, user, name ?? null);
    await this.em.flush();
    return issued;
  }

  async revokeAccessToken(userId: string, tokenId: string): Promise<AccessToken> {
    const record = await this.em.findOne(AccessTokenSchema, { id: tokenId, user: userId });
    if (!record) throw notFound('The access token');
    record.revokedAt ??= new Date();
    await this.em.flush();
    this.cache?.evict(record.tokenHash);
    this.onRevoke?.(record.tokenHash);
    return record;
  }

  listAccessTokens(userId: string): Promise<AccessToken[]> {
    return this.em.find(AccessTokenSchema, { user: userId }, { orderBy: { createdAt: 'desc' } });
  }

  findUserByEmail(email: string): Promise<User | null> {
    return this.em.findOne(UserSchema, { email: normalizeEmail(email) });
  }

  /** Users by id, in the order asked (null for a missing one), in one query. */
  async usersByIds(ids: readonly string[]): Promise<(User | null)[]> {
    const users = await this.em.find(UserSchema, { id: { $in: [...ids] } });
    return ids.map((id) => users.find((user) => user.id === id) ?? null);
  }

  findUser(id: string): Promise<User | null> {
    return this.em.findOne(UserSchema, { id });
  }

  /**
   * On a first start with no user at all, creates admin@localhost and returns its token (else null).
   * An advisory lock keeps two replicas starting together from racing.
   */
  async bootstrapAdmin(): Promise<string | null> {
    return this.em.transactional(async (em) => {
      await em.execute('select pg_advisory_xact_lock(727001)');
      if ((await em.count(UserSchema, {})) > 0) return null;
      const user = em.create(UserSchema, { email: 'admin@localhost', name: 'Administrator', role: 'ADMIN' });
      const { token } = this.issueToken(em, user, 'bootstrap');
      await em.flush();
      return token;
    });
  }

  private issueToken(em: EntityManager, user: User, name: string | null): { record: AccessToken; token: string } {
    const token = generateToken();
    const record = em.create(AccessTokenSchema, {
      user,
      tokenHash: hashToken(token),
      hint: tokenHint(token),
      name: name?.trim().slice(0, 200) || null,
    });
    return { record, token };
  }
}

function normalizeEmail(email: string): string {
  const parsed = emailSchema.safeParse(email.trim().toLowerCase());
  // admin@localhost is the bootstrap account; zod's email rule wants a dotted domain.
  if (!parsed.success && !/^[^\s@]+@localhost$/.test(email.trim().toLowerCase())) {
    throw badInput(parsed.error.issues[0]?.message ?? 'Enter a valid email address.', { field: 'email' });
  }
  return email.trim().toLowerCase();
}

function conflictingEmail(email: string): AppError {
  return new AppError('CONFLICT', `A user with the email ${email} already exists.`);
}
