import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { hashToken } from '../../src/modules/auth/token.ts';
import { NO_OVERRIDE, RateLimiter, RateLimitOverrides, type RateLimitedActor } from '../../src/modules/ratelimits/rate-limiter.ts';
import { createRateLimitRedis, RedisWindowStore } from '../../src/modules/ratelimits/redis-window-store.ts';
import { type Limits, WINDOW_MS } from '../../src/modules/ratelimits/sliding-window.ts';
import { PostgresWindowStore, type WindowStore } from '../../src/modules/ratelimits/window-store.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/process.ts';
import { redisAvailable, startTestRedis, type TestRedis } from '../support/redis-server.ts';

// Redis: REDIS_URL when set (then it must answer); else a redis-server of our own on a free port when one
// is installed (test/support/redis-server.ts); else the Redis half is skipped, saying so.
const HAS_REDIS = redisAvailable('the Redis half of the rate-limit tests');
let redisUrl = '';
/** `it` when Redis is at hand, else a skip (redisAvailable said why, or failed under CI=true). */
const withRedis = (available: boolean) => it.skipIf(!available);
let redis: TestRedis | null = null;

let t: TestApp;
let fakes: FakeLlmServers;
let member: { id: string; token: string };

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp();
  const created = await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
    variables: { input: { name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI, model: 'gpt-4o-mini' }, apiKey: 'sk-config', isActive: true } },
  });
  expect(created.errors).toBeUndefined();
  if (HAS_REDIS) {
    redis = await startTestRedis();
    redisUrl = redis.url;
  }
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
  await redis?.stop();
});
beforeEach(async () => {
  fakes.reset();
  // Each test its own member, so no test sees another's counters.
  member = await t.createUser(`limited-${randomBytes(4).toString('hex')}@example.com`);
});

const LIMIT_FIELDS = 'id rateLimit { requestsPerMinute tokensPerMinute }';
type WithLimit = { id: string; rateLimit: Limits };

function setUserRateLimit(userId: string, limits: { requestsPerMinute?: number | null; tokensPerMinute?: number | null }, token = t.adminToken, app: TestApp = t) {
  return app.graphql<{ setUserRateLimit: WithLimit }>(
    `mutation($userId: ID!, $rpm: Int, $tpm: Int) { setUserRateLimit(userId: $userId, requestsPerMinute: $rpm, tokensPerMinute: $tpm) { ${LIMIT_FIELDS} } }`,
    { variables: { userId, rpm: limits.requestsPerMinute, tpm: limits.tokensPerMinute }, token },
  );
}

async function limitMember(limits: { requestsPerMinute?: number | null; tokensPerMinute?: number | null }, app: TestApp = t): Promise<void> {
  const set = await setUserRateLimit(member.id, limits, app.adminToken, app);
  expect(set.errors).toBeUndefined();
}

function callLlm(token = member.token, app: TestApp = t) {
  return app.graphql<{ callLlm: { tokensUsed: number | null } }>('mutation($input: CallLlmInput!) { callLlm(input: $input) { tokensUsed } }', {
    variables: { input: { prompt: 'hi', maxTokens: 10 } },
    token,
  });
}

const usageRows = async (userId: string) => Number((await t.db.sql<{ n: string }>('select count(*)::text as n from specs.usage_records where user_id = $1', [userId]))[0]!.n);

// A fixed minute in the future (the PostgreSQL sweeper deletes only minutes before the present one).
const T0 = Date.UTC(2031, 0, 1, 0, 0, 0);

interface Clocked {
  limiter: RateLimiter;
  at(ms: number): void;
}

function limiterOn(store: WindowStore, defaults: Limits, options: { lookup?: (userId: string) => Promise<typeof NO_OVERRIDE>; overrides?: RateLimitOverrides } = {}): Clocked {
  let now = T0;
  const limiter = new RateLimiter({ defaults, store, lookup: options.lookup ?? (async () => NO_OVERRIDE), overrides: options.overrides ?? null, now: () => now });
  return { limiter, at: (ms) => (now = T0 + ms) };
}

/** The RATE_LIMITED refusal of one admission, or null when it passed. */
async function refusalOf(limiter: RateLimiter, actor: RateLimitedActor): Promise<AppError | null> {
  try {
    await limiter.admit(actor);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('RATE_LIMITED');
    return error as AppError;
  }
}

const retryAfterOf = (error: AppError | null) => error?.details?.retryAfter as number;

interface Backend {
  name: string;
  available: boolean;
  store(): WindowStore;
  close(): void;
}

const redisClients: Redis[] = [];
// One namespace per run, shared by every store (replica) of it; each test has its own member.
const REDIS_PREFIX = `agora:ratelimit:test:${randomBytes(4).toString('hex')}`;
const backends: Backend[] = [
  { name: 'PostgreSQL', available: true, store: () => new PostgresWindowStore(t.db.orm.em.fork()), close: () => {} },
  {
    name: 'Redis',
    available: HAS_REDIS,
    store: () => {
      const client = new Redis(redisUrl);
      redisClients.push(client);
      return new RedisWindowStore(client, { prefix: REDIS_PREFIX });
    },
    close: () => redisClients.splice(0).forEach((client) => client.disconnect()),
  },
];

describe.each(backends)('the $name store', (backend) => {
  const test = withRedis(backend.available);
  afterAll(() => backend.close());

  test('admits up to the requests limit, refuses the next with a Retry-After that holds, and lets no double burst through at the edge', async () => {
    const store = backend.store();
    const { limiter, at } = limiterOn(store, { requestsPerMinute: 4, tokensPerMinute: null });
    const actor = { id: member.id, role: 'MEMBER' as const };
    at(50_000);
    for (let i = 0; i < 4; i += 1) expect(await refusalOf(limiter, actor)).toBeNull();
    const refused = await refusalOf(limiter, actor);
    expect(refused?.message).toMatch(/at most 4 requests per minute/);
    // Four at 50 s: the fifth passes once this minute weighs 3 in the sliding one, 15 s into the next.
    expect(retryAfterOf(refused)).toBe(25);
    // A new fixed minute has begun, but the burst still counts: no second burst at the edge.
    at(WINDOW_MS + 1);
    expect(retryAfterOf(await refusalOf(limiter, actor))).toBe(15);
    at(WINDOW_MS + 14_000);
    expect(retryAfterOf(await refusalOf(limiter, actor))).toBe(1);
    at(WINDOW_MS + 15_000);
    expect(await refusalOf(limiter, actor)).toBeNull();
    expect(await refusalOf(limiter, actor)).not.toBeNull();
    // Two minutes later, nothing weighs any more: four pass again.
    at(3 * WINDOW_MS + 30_000);
    for (let i = 0; i < 4; i += 1) expect(await refusalOf(limiter, actor)).toBeNull();
    expect(await refusalOf(limiter, actor)).not.toBeNull();
  });

  test('counts tokens when calls end and admits while the minute is under the tokens limit', async () => {
    const { limiter, at } = limiterOn(backend.store(), { requestsPerMinute: null, tokensPerMinute: 100 });
    const actor = { id: member.id, role: 'MEMBER' as const };
    at(10_000);
    expect(await refusalOf(limiter, actor)).toBeNull();
    await limiter.settle(actor, 60);
    await limiter.settle(actor, null); // the provider reported no tokens: nothing to add
    expect(await refusalOf(limiter, actor)).toBeNull(); // 60 < 100: a call of any size passes
    await limiter.settle(actor, 60);
    const refused = await refusalOf(limiter, actor);
    expect(refused?.message).toMatch(/at most 100 tokens per minute/);
    // 120 tokens at 10 s: under 100 once they weigh less than 100 in the sliding minute, 10.001 s into the next.
    expect(retryAfterOf(refused)).toBe(61);
    expect(refused?.details?.retryAfterMs).toBe(60_001);
    at(WINDOW_MS + 10_000);
    expect(await refusalOf(limiter, actor)).not.toBeNull();
    at(WINDOW_MS + 10_002);
    expect(await refusalOf(limiter, actor)).toBeNull();
  });

  test('lets exactly the limit through 30 concurrent admissions from two limiters (two replicas)', async () => {
    const first = limiterOn(backend.store(), { requestsPerMinute: 10, tokensPerMinute: null });
    const second = limiterOn(backend.store(), { requestsPerMinute: 10, tokensPerMinute: null });
    const actor = { id: member.id, role: 'MEMBER' as const };
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => refusalOf((i % 2 ? second : first).limiter, actor)));
    expect(outcomes.filter((outcome) => outcome === null)).toHaveLength(10);
    // Ten at the minute's start: the next passes once they weigh 9, 6 s into the next minute.
    for (const refused of outcomes.filter((outcome) => outcome !== null)) expect(retryAfterOf(refused)).toBe(66);
  });

  test('takes the overrides an actor carries, and looks up (once, cached) those of an actor that carries none', async () => {
    let lookups = 0;
    const overrides = new RateLimitOverrides();
    const { limiter } = limiterOn(backend.store(), { requestsPerMinute: 100, tokensPerMinute: null }, {
      overrides,
      lookup: async () => {
        lookups += 1;
        return { requestsPerMinute: 1, tokensPerMinute: null };
      },
    });
    // A viewer carries its overrides (read with its token): no lookup.
    const viewer = { id: member.id, role: 'MEMBER' as const, rateLimit: { requestsPerMinute: 2, tokensPerMinute: null } };
    expect(await refusalOf(limiter, viewer)).toBeNull();
    expect(await refusalOf(limiter, viewer)).toBeNull();
    expect(await refusalOf(limiter, viewer)).not.toBeNull();
    expect(lookups).toBe(0);
    // A job's actor (id and role only) is looked up, then served from the cache until the override changes.
    const job = { id: member.id, role: 'MEMBER' as const };
    expect((await refusalOf(limiter, job))?.message).toMatch(/at most 1 requests per minute/);
    expect(await refusalOf(limiter, job)).not.toBeNull();
    expect(lookups).toBe(1);
    overrides.forget(member.id);
    await refusalOf(limiter, job);
    expect(lookups).toBe(2);
  });
});

describe('rate limits in the call path', () => {
  it('refuses a call over the limit with RATE_LIMITED and extensions.retryAfter, sends nothing upstream and writes no usage row', async () => {
    await limitMember({ requestsPerMinute: 2 });
    expect((await callLlm()).errors).toBeUndefined();
    expect((await callLlm()).errors).toBeUndefined();
    const refused = await callLlm();
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(refused.errors?.[0]?.message).toMatch(/at most 2 requests per minute\. Try again in \d+ s\./);
    const retryAfter = refused.errors?.[0]?.extensions?.retryAfter;
    expect(typeof retryAfter).toBe('number');
    // Two in this minute, e s in: the third passes once they weigh 1, 30 s into the next minute (90 - e s).
    expect(retryAfter).toBeGreaterThan(30);
    expect(retryAfter).toBeLessThanOrEqual(90);
    expect(fakes.openai.requests).toHaveLength(2);
    expect(await usageRows(member.id)).toBe(2);
    // Another user is not under this limit.
    const other = await t.createUser(`unlimited-${randomBytes(4).toString('hex')}@example.com`);
    expect((await callLlm(other.token)).errors).toBeUndefined();
  });

  it('lets exactly 10 of 30 concurrent calls through under 10 requests per minute, across two replicas on one database', async () => {
    await limitMember({ requestsPerMinute: 10 });
    fakes.openai.script({ delayMs: 20 });
    const second = await createTestApp({}, { database: t.db });
    try {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => callLlm(member.token, i % 2 ? second : t)));
      const passed = results.filter((result) => !result.errors);
      expect(passed).toHaveLength(10);
      for (const refused of results.filter((result) => result.errors)) {
        expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
        expect(refused.errors?.[0]?.extensions?.retryAfter).toBeGreaterThanOrEqual(1);
      }
      expect(fakes.openai.requests).toHaveLength(10);
      expect(await usageRows(member.id)).toBe(10);
    } finally {
      await second.close();
    }
  });

  it("adds each call's tokens after it and refuses once the minute's tokens reach the limit", async () => {
    await limitMember({ tokensPerMinute: 20 });
    // The fake answers with 12 input and 7 output tokens: 19 < 20 after one call, 38 after two.
    expect((await callLlm()).data?.callLlm.tokensUsed).toBe(19);
    expect((await callLlm()).errors).toBeUndefined();
    const refused = await callLlm();
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(refused.errors?.[0]?.message).toMatch(/at most 20 tokens per minute/);
    expect(refused.errors?.[0]?.extensions?.retryAfter).toBeGreaterThanOrEqual(1);
    expect(fakes.openai.requests).toHaveLength(2);
    const windows = await t.db.sql<{ requests: number; tokens: string }>('select requests, tokens::text from specs.rate_limit_windows where user_id = $1', [member.id]);
    expect(windows.reduce((sum, row) => sum + Number(row.tokens), 0)).toBe(38);
    expect(windows.reduce((sum, row) => sum + row.requests, 0)).toBe(2);
  });

  it('costs one statement per warm call under a requests limit, and one more to add tokens under a tokens limit', async () => {
    await limitMember({ requestsPerMinute: 100 });
    expect((await callLlm()).errors).toBeUndefined();
    let before = t.db.queries.length;
    expect((await callLlm()).errors).toBeUndefined();
    let statements = t.db.queries.slice(before);
    // The window, then the call's ledger row opened (PENDING) and settled.
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(/insert into specs\.rate_limit_windows/);
    expect(statements[1]).toMatch(/insert into specs\.usage_records/);
    expect(statements[2]).toMatch(/insert into specs\.usage_records[\s\S]*on conflict \(id\) do update/);
    await limitMember({ requestsPerMinute: 100, tokensPerMinute: 100_000 });
    expect((await callLlm()).errors).toBeUndefined();
    before = t.db.queries.length;
    expect((await callLlm()).errors).toBeUndefined();
    statements = t.db.queries.slice(before);
    expect(statements).toHaveLength(4);
    expect(statements[3]).toMatch(/insert into specs\.rate_limit_windows[\s\S]*tokens = w\.tokens \+ excluded\.tokens/);
  });
});

describe('setUserRateLimit and User.rateLimit', () => {
  it('lets admins set and remove overrides, refuses members, and shows the limits in force', async () => {
    const forbidden = await setUserRateLimit(member.id, { requestsPerMinute: 1000 }, member.token);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const set = await setUserRateLimit(member.id, { requestsPerMinute: 5, tokensPerMinute: 2000 });
    expect(set.errors).toBeUndefined();
    expect(set.data?.setUserRateLimit).toEqual({ id: member.id, rateLimit: { requestsPerMinute: 5, tokensPerMinute: 2000 } });
    const me = await t.graphql<{ me: WithLimit }>(`{ me { ${LIMIT_FIELDS} } }`, { token: member.token });
    expect(me.data?.me.rateLimit).toEqual({ requestsPerMinute: 5, tokensPerMinute: 2000 });
    // The arguments are the whole override: one left out (or null) is removed.
    expect((await setUserRateLimit(member.id, { tokensPerMinute: 3000 })).data?.setUserRateLimit.rateLimit).toEqual({ requestsPerMinute: null, tokensPerMinute: 3000 });
    expect((await setUserRateLimit(member.id, { requestsPerMinute: null, tokensPerMinute: null })).data?.setUserRateLimit.rateLimit).toEqual({
      requestsPerMinute: null,
      tokensPerMinute: null,
    });
    expect((await t.db.sql('select rate_limit_rpm, rate_limit_tpm from auth.users where id = $1', [member.id]))[0]).toEqual({ rate_limit_rpm: null, rate_limit_tpm: null });
    const zero = await setUserRateLimit(member.id, { requestsPerMinute: 0 });
    expect(zero.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(zero.errors?.[0]?.message).toMatch(/requestsPerMinute must be a whole number of at least 1/);
    expect((await setUserRateLimit('00000000-0000-4000-8000-000000000000', { requestsPerMinute: 1 })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await setUserRateLimit('not-a-uuid', { requestsPerMinute: 1 })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('applies an override at the next call although the viewer is cached, and drops the overrides jobs read', async () => {
    expect((await callLlm()).errors).toBeUndefined(); // the viewer, with no override, is now cached
    const overrides = t.runtime.deps.rateLimits!.overrides;
    let loads = 0;
    const load = async () => {
      loads += 1;
      return NO_OVERRIDE;
    };
    await overrides.get(member.id, load);
    await limitMember({ requestsPerMinute: 1 });
    expect((await callLlm()).errors).toBeUndefined();
    expect((await callLlm()).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    // What a job would have read of this user was dropped with the change.
    await overrides.get(member.id, load);
    expect(loads).toBe(2);
    await limitMember({ requestsPerMinute: null });
    expect((await callLlm()).errors).toBeUndefined();
  });

  it('applies RATE_LIMIT_RPM and RATE_LIMIT_TPM to everyone without an override', async () => {
    const limited = await createTestApp({ RATE_LIMIT_RPM: '2', RATE_LIMIT_TPM: '5000' }, { database: t.db });
    try {
      const user = await limited.createUser(`defaults-${randomBytes(4).toString('hex')}@example.com`);
      const me = await limited.graphql<{ me: WithLimit }>(`{ me { ${LIMIT_FIELDS} } }`, { token: user.token });
      expect(me.data?.me.rateLimit).toEqual({ requestsPerMinute: 2, tokensPerMinute: 5000 });
      expect((await callLlm(user.token, limited)).errors).toBeUndefined();
      expect((await callLlm(user.token, limited)).errors).toBeUndefined();
      expect((await callLlm(user.token, limited)).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      // An override replaces the default in its dimension only; removing it brings the default back.
      const raised = await setUserRateLimit(user.id, { requestsPerMinute: 3 }, limited.adminToken, limited);
      expect(raised.data?.setUserRateLimit.rateLimit).toEqual({ requestsPerMinute: 3, tokensPerMinute: 5000 });
      expect((await callLlm(user.token, limited)).errors).toBeUndefined();
      expect((await callLlm(user.token, limited)).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      const removed = await setUserRateLimit(user.id, {}, limited.adminToken, limited);
      expect(removed.data?.setUserRateLimit.rateLimit).toEqual({ requestsPerMinute: 2, tokensPerMinute: 5000 });
    } finally {
      await limited.close();
    }
  });
});

describe('rate limits through Redis', () => {
  const test = withRedis(HAS_REDIS);

  test('shares the counters and the overrides between two replicas', async () => {
    const first = await createTestApp({ REDIS_URL: redisUrl }, { database: t.db });
    const second = await createTestApp({ REDIS_URL: redisUrl }, { database: t.db });
    try {
      // The member's viewer is cached on the second replica before the override is set on the first.
      expect((await callLlm(member.token, second)).errors).toBeUndefined();
      await limitMember({ requestsPerMinute: 10 }, first);
      const cached = second.runtime.deps.tokenCache!;
      await waitFor(() => cached.get(hashToken(member.token)) === null, 5_000, "the second replica to drop the member's cached viewer");
      fakes.reset();
      fakes.openai.script({ delayMs: 20 });
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => callLlm(member.token, i % 2 ? second : first)));
      expect(results.filter((result) => !result.errors)).toHaveLength(10);
      for (const refused of results.filter((result) => result.errors)) {
        expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
        expect(refused.errors?.[0]?.extensions?.retryAfter).toBeGreaterThanOrEqual(1);
      }
      expect(fakes.openai.requests).toHaveLength(10);
      // Counted in Redis, not in PostgreSQL.
      expect(await t.db.sql('select 1 from specs.rate_limit_windows where user_id = $1', [member.id])).toHaveLength(0);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  }, 60_000);
});

describe('when Redis does not answer', () => {
  it('lets calls pass (fail open), logs it, and does not crash', async () => {
    const warnings: string[] = [];
    const client = createRateLimitRedis(`redis://127.0.0.1:${await freePort()}`);
    try {
      const logger = { warn: (...args: unknown[]) => void warnings.push(String(args[1])) } as unknown as Pick<Logger, 'warn'>;
      const store = new RedisWindowStore(client, { logger });
      const { limiter } = limiterOn(store, { requestsPerMinute: 1, tokensPerMinute: 1 });
      const actor = { id: member.id, role: 'MEMBER' as const };
      const started = Date.now();
      for (let i = 0; i < 3; i += 1) expect(await refusalOf(limiter, actor)).toBeNull();
      await limiter.settle(actor, 100);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(warnings[0]).toMatch(/rate limits are not enforced/);
    } finally {
      client.disconnect();
    }
  });
});
