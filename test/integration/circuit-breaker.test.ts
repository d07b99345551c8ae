import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { CircuitBreaker, type BreakerDecision, type CircuitTransition } from '../../src/modules/providers/circuit-breaker.ts';
import { RoutingCache, type RoutingChange } from '../../src/modules/providers/routing-cache.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { waitFor } from '../support/process.ts';
import { redisAvailable, startTestRedis, type TestRedis } from '../support/redis-server.ts';

const THRESHOLD = 3;
const WINDOW_MS = 60_000;
const COOLDOWN_MS = 30_000;
const START = Date.parse('2026-12-01T10:00:00.000Z');

let db: TestDatabase;
/** The one clock every breaker here reads: tests move it, nothing waits. */
let clock = new Date(START);
const at = (ms: number) => (clock = new Date(START + ms));

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});
beforeEach(() => {
  at(0);
});

/** A provider configuration row of its own, so no test sees another's breaker. */
async function configuration(): Promise<string> {
  const id = randomUUID();
  await db.sql(`insert into specs.intelligence_providers (id, created_at, updated_at, name, provider, config) values ($1, now(), now(), $2, 'OPENAI', '{}')`, [
    id,
    `breaker-${id}`,
  ]);
  return id;
}

/** One replica: its own EntityManager fork and routing cache, what it published, the transitions it saw and its log. */
function replica() {
  const published: RoutingChange[] = [];
  const transitions: CircuitTransition[] = [];
  const logs: string[] = [];
  const cache = new RoutingCache({ publish: (change) => published.push(change) });
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  );
  const breaker = new CircuitBreaker(db.orm.em.fork(), {
    failureThreshold: THRESHOLD,
    windowMs: WINDOW_MS,
    cooldownMs: COOLDOWN_MS,
    now: () => clock,
    cache,
    logger,
    onTransition: (change) => transitions.push(change),
  });
  return { breaker, cache, published, transitions, logs };
}

/** The SQL statements `work` sent (every statement the ORM runs is recorded in order). */
async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  const before = db.queries.length;
  await work();
  return db.queries.slice(before);
}

const row = async (id: string) =>
  (
    await db.sql<{ state: string; failures: number; opened_at: Date | null; trial_at: Date | null; last_error: string | null }>(
      'select state, failures, opened_at, trial_at, last_error from specs.provider_health where configuration_id = $1',
      [id],
    )
  )[0];

async function fail(breaker: CircuitBreaker, id: string, times: number, message = 'upstream answered 503') {
  for (let i = 0; i < times; i += 1) await breaker.failure(id, message);
}

/** Opens the circuit of `id` at the current clock. */
const open = (breaker: CircuitBreaker, id: string) => fail(breaker, id, THRESHOLD);

const count = (decisions: BreakerDecision[], decision: BreakerDecision) => decisions.filter((each) => each === decision).length;

describe('counting failures', () => {
  it('refuses options under which it could not work (no threshold, no cool-down to tell one trial apart)', () => {
    const valid = { failureThreshold: 3, windowMs: 1_000, cooldownMs: 1_000 };
    const em = db.orm.em.fork();
    expect(() => new CircuitBreaker(em, valid)).not.toThrow();
    expect(() => new CircuitBreaker(em, { ...valid, failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker(em, { ...valid, failureThreshold: 2.5 })).toThrow(RangeError);
    expect(() => new CircuitBreaker(em, { ...valid, cooldownMs: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker(em, { ...valid, windowMs: Number.NaN })).toThrow(RangeError);
  });

  it('stays closed below the threshold, recording the last error', async () => {
    const { breaker, transitions } = replica();
    const id = await configuration();
    await breaker.failure(id, 'first: connection refused');
    at(1_000);
    await breaker.failure(id, 'second: upstream answered 502');
    expect(await breaker.admit(id)).toBe('closed');
    expect(await row(id)).toMatchObject({ state: 'CLOSED', failures: 2, opened_at: null, last_error: 'second: upstream answered 502' });
    expect((await breaker.health([id])).get(id)).toEqual({
      state: 'CLOSED',
      failures: 2,
      lastError: 'second: upstream answered 502',
      lastErrorAt: new Date(START + 1_000),
      openedAt: null,
      retryAt: null,
    });
    expect(transitions).toEqual([]);
  });

  it('opens at the threshold within the window, once, and tells the cache, the log and the observer', async () => {
    const { breaker, cache, published, transitions, logs } = replica();
    const id = await configuration();
    await fail(breaker, id, THRESHOLD - 1, 'upstream said: invalid request near "sk-not-a-real-key"');
    const version = cache.version;
    const published_before = published.length;
    at(59_999);
    await breaker.failure(id, 'upstream answered 503');
    expect(await row(id)).toMatchObject({ state: 'OPEN', failures: THRESHOLD, opened_at: new Date(START + 59_999) });
    expect(transitions).toEqual([{ configurationId: id, from: 'CLOSED', to: 'OPEN' }]);
    expect(cache.version).toBeGreaterThan(version);
    expect(published.slice(published_before)).toEqual([{ kind: 'health' }]);
    const opened = logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'circuit breaker opened');
    expect(opened).toEqual([expect.objectContaining({ configurationId: id, from: 'CLOSED', to: 'OPEN', failures: THRESHOLD })]);
    // The log carries ids and counts only, never what the provider said.
    expect(logs.join('')).not.toContain('sk-not-a-real-key');

    // More failures (a stale replica still trying it) keep it open, with its cool-down unchanged.
    at(60_500);
    await breaker.failure(id, 'still down');
    expect(await row(id)).toMatchObject({ state: 'OPEN', failures: THRESHOLD + 1, opened_at: new Date(START + 59_999) });
    expect(transitions).toHaveLength(1);
  });

  it('does not open for failures spread over more than the window', async () => {
    const { breaker, transitions } = replica();
    const id = await configuration();
    await breaker.failure(id, 'one');
    at(40_000);
    await breaker.failure(id, 'two');
    // The window that began at 0 is over: this failure starts a new one.
    at(WINDOW_MS);
    await breaker.failure(id, 'three');
    at(WINDOW_MS + 30_000);
    await breaker.failure(id, 'four');
    expect(await row(id)).toMatchObject({ state: 'CLOSED', failures: 2 });
    expect(await breaker.admit(id)).toBe('closed');
    expect(transitions).toEqual([]);
  });

  it('starts counting again after a success', async () => {
    const { breaker } = replica();
    const id = await configuration();
    await fail(breaker, id, THRESHOLD - 1);
    const decision = await breaker.admit(id);
    expect(decision).toBe('closed');
    await breaker.success(id, decision);
    expect(await row(id)).toMatchObject({ state: 'CLOSED', failures: 0 });
    await fail(breaker, id, THRESHOLD - 1);
    expect(await row(id)).toMatchObject({ state: 'CLOSED', failures: THRESHOLD - 1 });
  });

  it('opens exactly once under concurrent failures, the first of which creates the row', async () => {
    const a = replica();
    const b = replica();
    const id = await configuration();
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).breaker.failure(id, `failure ${i}`)));
    expect(await row(id)).toMatchObject({ state: 'OPEN', failures: 12 });
    expect([...a.transitions, ...b.transitions]).toEqual([{ configurationId: id, from: 'CLOSED', to: 'OPEN' }]);
  });

  it('keeps at most 300 characters of the last error, whatever they are', async () => {
    const { breaker } = replica();
    const id = await configuration();
    const message = `quote ' question ? backslash \\ nul \0 emoji 😀 ${'x'.repeat(400)}`;
    await breaker.failure(id, message);
    const kept = (await row(id))!.last_error!;
    expect([...kept]).toHaveLength(300);
    // NUL dropped (PostgreSQL refuses it), whitespace runs made one space, nothing else touched.
    expect(kept.startsWith("quote ' question ? backslash \\ nul emoji 😀 xxx")).toBe(true);
    expect(kept.endsWith('…')).toBe(true);
  });
});

describe('the hot path', () => {
  it('costs no SQL in admit and success on a healthy provider once the snapshot is read', async () => {
    const { breaker } = replica();
    const id = await configuration();
    const other = await configuration();
    await open(breaker, other);
    // The first admit reads the snapshot of every breaker that is not plainly healthy (one select).
    const warmup = await statementsOf(() => breaker.admit(id));
    expect(warmup).toHaveLength(1);
    expect(warmup[0]).toMatch(/^select .* from specs\.provider_health/);
    const calls = await statementsOf(async () => {
      for (let i = 0; i < 20; i += 1) await breaker.success(id, await breaker.admit(id));
    });
    expect(calls).toEqual([]);
  });

  it('says open without SQL while the circuit cools down, then claims the trial with one UPDATE', async () => {
    const { breaker } = replica();
    const id = await configuration();
    await open(breaker, id);
    expect(await breaker.admit(id)).toBe('open');
    const cooling = await statementsOf(async () => {
      for (let i = 0; i < 20; i += 1) {
        at(i * 200);
        expect(await breaker.admit(id)).toBe('open');
      }
    });
    expect(cooling).toEqual([]);
    // Past its TTL (5 s) the snapshot is read again, once, and still says the circuit is cooling down.
    at(COOLDOWN_MS - 1);
    const late = await statementsOf(async () => {
      for (let i = 0; i < 20; i += 1) expect(await breaker.admit(id)).toBe('open');
    });
    expect(late).toHaveLength(1);
    expect(late[0]).toMatch(/^select /);
    at(COOLDOWN_MS);
    const claim = await statementsOf(async () => expect(await breaker.admit(id)).toBe('trial'));
    expect(claim).toHaveLength(1);
    expect(claim[0]).toMatch(/^update specs\.provider_health/);
    expect(await row(id)).toMatchObject({ state: 'HALF_OPEN', trial_at: new Date(START + COOLDOWN_MS) });
  });
});

describe('the half-open trial', () => {
  it('goes to exactly one of many concurrent admits, across two replicas', async () => {
    const a = replica();
    const b = replica();
    const id = await configuration();
    await open(a.breaker, id);
    // Both replicas hold a snapshot showing the circuit open.
    expect([await a.breaker.admit(id), await b.breaker.admit(id)]).toEqual(['open', 'open']);
    at(COOLDOWN_MS + 1);
    const decisions = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).breaker.admit(id)));
    expect(count(decisions, 'trial')).toBe(1);
    expect(count(decisions, 'open')).toBe(15);
    expect([...a.transitions, ...b.transitions].filter((change) => change.to === 'HALF_OPEN')).toEqual([{ configurationId: id, from: 'OPEN', to: 'HALF_OPEN' }]);
    // And while the trial is out, everyone else keeps skipping it.
    expect([await a.breaker.admit(id), await b.breaker.admit(id)]).toEqual(['open', 'open']);
  });

  it('closes the circuit when the trial succeeds', async () => {
    const { breaker, cache, transitions } = replica();
    const id = await configuration();
    await open(breaker, id);
    at(COOLDOWN_MS);
    const decision = await breaker.admit(id);
    expect(decision).toBe('trial');
    const version = cache.version;
    await breaker.success(id, decision);
    expect(cache.version).toBeGreaterThan(version);
    expect(await row(id)).toMatchObject({ state: 'CLOSED', failures: 0, opened_at: null, trial_at: null });
    expect(transitions.map(({ from, to }) => `${from}->${to}`)).toEqual(['CLOSED->OPEN', 'OPEN->HALF_OPEN', 'HALF_OPEN->CLOSED']);
    expect(await breaker.admit(id)).toBe('closed');
    // Closed and clean again: back to no SQL.
    expect(await statementsOf(async () => breaker.success(id, await breaker.admit(id)))).toEqual([]);
  });

  it('re-opens the circuit, with a fresh cool-down, when the trial fails', async () => {
    const { breaker, transitions } = replica();
    const id = await configuration();
    await open(breaker, id);
    at(COOLDOWN_MS + 5_000);
    expect(await breaker.admit(id)).toBe('trial');
    at(COOLDOWN_MS + 6_000);
    await breaker.failure(id, 'trial: upstream answered 500');
    expect(await row(id)).toMatchObject({ state: 'OPEN', opened_at: new Date(START + COOLDOWN_MS + 6_000), trial_at: null, last_error: 'trial: upstream answered 500' });
    expect(transitions.map(({ from, to }) => `${from}->${to}`)).toEqual(['CLOSED->OPEN', 'OPEN->HALF_OPEN', 'HALF_OPEN->OPEN']);
    at(COOLDOWN_MS + 6_000 + COOLDOWN_MS - 1);
    expect(await breaker.admit(id)).toBe('open');
    at(COOLDOWN_MS + 6_000 + COOLDOWN_MS);
    expect(await breaker.admit(id)).toBe('trial');
  });

  it('gives up a trial whose replica died once a cool-down has passed, and lets exactly one other caller take it', async () => {
    const dead = replica();
    const a = replica();
    const b = replica();
    const id = await configuration();
    await open(dead.breaker, id);
    at(COOLDOWN_MS);
    // This replica claims the trial and never reports (its process died).
    expect(await dead.breaker.admit(id)).toBe('trial');
    at(2 * COOLDOWN_MS - 1);
    expect([await a.breaker.admit(id), await b.breaker.admit(id)]).toEqual(['open', 'open']);
    at(2 * COOLDOWN_MS);
    const decisions = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).breaker.admit(id)));
    expect(count(decisions, 'trial')).toBe(1);
    expect(await row(id)).toMatchObject({ state: 'HALF_OPEN', trial_at: new Date(START + 2 * COOLDOWN_MS) });
    const winner = decisions.indexOf('trial') % 2 ? a : b;
    await winner.breaker.success(id, 'trial');
    expect(await row(id)).toMatchObject({ state: 'CLOSED', failures: 0 });
  });
});

describe('reading and resetting', () => {
  it('closes a circuit at once on reset, keeping the last error', async () => {
    const { breaker, cache, published, transitions } = replica();
    const id = await configuration();
    await open(breaker, id);
    expect(await breaker.admit(id)).toBe('open');
    const version = cache.version;
    await breaker.reset(id);
    expect(cache.version).toBeGreaterThan(version);
    expect(published.at(-1)).toEqual({ kind: 'health' });
    expect(transitions.at(-1)).toEqual({ configurationId: id, from: 'OPEN', to: 'CLOSED' });
    expect(await row(id)).toMatchObject({ state: 'CLOSED', failures: 0, opened_at: null, last_error: 'upstream answered 503' });
    expect(await breaker.admit(id)).toBe('closed');
    // Resetting a healthy breaker changes nothing and tells no one.
    const told = published.length;
    await breaker.reset(id);
    await breaker.reset(await configuration());
    expect(published).toHaveLength(told);
  });

  it('reads the health of many configurations in one query, unknown ones as CLOSED', async () => {
    const { breaker } = replica();
    const [closed, failing, opened, trial] = [await configuration(), await configuration(), await configuration(), await configuration()];
    await breaker.failure(failing, 'timed out');
    await open(breaker, opened);
    await open(breaker, trial);
    at(COOLDOWN_MS);
    expect(await breaker.admit(trial)).toBe('trial');
    let health = new Map();
    const statements = await statementsOf(async () => (health = await breaker.health([closed, failing, opened, trial, 'not-a-uuid'])));
    expect(statements).toHaveLength(1);
    expect(health.get(closed)).toEqual({ state: 'CLOSED', failures: 0, lastError: null, lastErrorAt: null, openedAt: null, retryAt: null });
    expect(health.get('not-a-uuid')).toMatchObject({ state: 'CLOSED', failures: 0 });
    expect(health.get(failing)).toMatchObject({ state: 'CLOSED', failures: 1, lastError: 'timed out', lastErrorAt: new Date(START) });
    expect(health.get(opened)).toMatchObject({ state: 'OPEN', failures: THRESHOLD, openedAt: new Date(START), retryAt: new Date(START + COOLDOWN_MS) });
    expect(health.get(trial)).toMatchObject({ state: 'HALF_OPEN', openedAt: new Date(START), retryAt: new Date(START + 2 * COOLDOWN_MS) });
    expect(await statementsOf(() => breaker.health([]))).toEqual([]);
  });

  it('shows two replicas the same state: at once in health(), in admit once the stale snapshot expires', async () => {
    const a = replica();
    const b = replica();
    const id = await configuration();
    expect(await b.breaker.admit(id)).toBe('closed');
    await open(a.breaker, id);
    expect((await b.breaker.health([id])).get(id)).toMatchObject({ state: 'OPEN', failures: THRESHOLD });
    // Without pub/sub between them, B's snapshot (read before the circuit opened) serves until its TTL.
    expect(await b.breaker.admit(id)).toBe('closed');
    at(5_000);
    expect(await b.breaker.admit(id)).toBe('open');
    await b.breaker.reset(id);
    expect((await a.breaker.health([id])).get(id)).toMatchObject({ state: 'CLOSED', failures: 0 });
  });
});

// Redis: REDIS_URL when set (then it must answer); else a redis-server of this file's own when one is
// installed (test/support/redis-server.ts); else this part is skipped, saying so.
const withRedis = it.skipIf(!redisAvailable('the circuit breaker across replicas through Redis'));

describe('across replicas through Redis', () => {
  let redis: TestRedis | null = null;
  afterAll(async () => {
    await redis?.stop();
  });

  async function redisUrl(): Promise<string> {
    redis ??= await startTestRedis();
    return redis.url;
  }

  withRedis('drops the other replica’s snapshot as soon as a circuit opens', async () => {
    const url = await redisUrl();
    const first = await createTestApp({ REDIS_URL: url, WORKERS: 'false' }, { database: db });
    let second: TestApp | null = null;
    try {
      second = await createTestApp({ REDIS_URL: url, WORKERS: 'false' }, { database: db });
      const id = await configuration();
      const [firstCache, secondCache] = [first.runtime.deps.routingCache!, second.runtime.deps.routingCache!];
      const breakerOn = (cache: RoutingCache) =>
        new CircuitBreaker(db.orm.em.fork(), { failureThreshold: THRESHOLD, windowMs: WINDOW_MS, cooldownMs: COOLDOWN_MS, now: () => clock, cache });
      const [a, b] = [breakerOn(firstCache), breakerOn(secondCache)];
      // The second replica follows the channel once it hears a change the first one announces.
      const seen = secondCache.version;
      await waitFor(
        () => {
          if (secondCache.version > seen) return true;
          firstCache.changed({ kind: 'providers' });
          return false;
        },
        10_000,
        'the second replica to follow routing changes',
      );
      expect(await b.admit(id)).toBe('closed');
      // Its snapshot is now kept: only a health change can drop it (the clock does not move, so no TTL does).
      const kept = await statementsOf(() => b.admit(id));
      expect(kept.filter((statement) => statement.includes('provider_health'))).toEqual([]);
      await open(a, id);
      await waitFor(async () => (await b.admit(id)) === 'open', 10_000, 'the opening to reach the second replica');
    } finally {
      await second?.close();
      await first.close();
    }
  });
});
