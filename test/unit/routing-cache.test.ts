import { describe, expect, it } from 'vitest';
import { type CachedHealth, type CachedUserKey, type RoutingChange, RoutingCache, type RoutingConfiguration } from '../../src/modules/providers/routing-cache.ts';

const configuration = (id: string, isActive = false): RoutingConfiguration => ({
  id,
  name: id,
  provider: 'OPENAI',
  config: {},
  fallbackIds: [],
  isActive,
  apiKeyVersion: 1,
  apiKeyCiphertext: 'sealed',
  updatedAt: new Date(0),
});

const key = (secret: string | null): CachedUserKey => ({ secret, keyId: secret ? `id-${secret}` : null, lastUsedAt: null });

describe('RoutingCache', () => {
  it('reads configurations once, again after its TTL, and at once after a change', async () => {
    const cache = new RoutingCache({ providerTtlMs: 1_000 });
    let loads = 0;
    const load = async () => {
      loads += 1;
      return [configuration(`c${loads}`, true)];
    };
    expect((await cache.configurations(load, 0))[0]!.id).toBe('c1');
    expect((await cache.configurations(load, 999))[0]!.id).toBe('c1');
    expect((await cache.configurations(load, 1_000))[0]!.id).toBe('c2');
    cache.changed({ kind: 'providers' });
    expect((await cache.configurations(load, 1_001))[0]!.id).toBe('c3');
    expect(loads).toBe(3);
  });

  it('never keeps what a read saw when a change landed while it was reading', async () => {
    const cache = new RoutingCache();
    let release!: () => void;
    const slow = () =>
      new Promise<RoutingConfiguration[]>((resolve) => {
        release = () => resolve([configuration('before-the-change')]);
      });
    const reading = cache.configurations(slow, 0);
    cache.apply({ kind: 'providers' });
    release();
    expect((await reading)[0]!.id).toBe('before-the-change');
    expect((await cache.configurations(async () => [configuration('after')], 1))[0]!.id).toBe('after');

    let releaseKey!: () => void;
    const readingKey = cache.userKey('u1', 'OPENAI', () => new Promise((resolve) => (releaseKey = () => resolve(key('old')))), 0);
    cache.apply({ kind: 'user-keys', userId: 'u1' });
    releaseKey();
    expect((await readingKey).secret).toBe('old');
    expect((await cache.userKey('u1', 'OPENAI', async () => key('new'), 1)).secret).toBe('new');
  });

  it("drops only the changed user's keys, remembers that a user has none, and publishes its own changes", async () => {
    const published: RoutingChange[] = [];
    const cache = new RoutingCache({ publish: (change) => published.push(change), userKeyTtlMs: 30_000 });
    let loads = 0;
    const counted = (value: CachedUserKey) => async () => {
      loads += 1;
      return value;
    };
    await cache.userKey('alice', 'OPENAI', counted(key('a1')), 0);
    await cache.userKey('alice', 'GITHUB', counted(key(null)), 0);
    await cache.userKey('bob', 'OPENAI', counted(key('b1')), 0);
    expect(loads).toBe(3);
    expect((await cache.userKey('alice', 'GITHUB', counted(key('never read')), 10)).secret).toBeNull();
    expect(loads).toBe(3);

    cache.changed({ kind: 'user-keys', userId: 'alice' });
    expect(published).toEqual([{ kind: 'user-keys', userId: 'alice' }]);
    expect((await cache.userKey('alice', 'OPENAI', counted(key('a2')), 20)).secret).toBe('a2');
    expect((await cache.userKey('bob', 'OPENAI', counted(key('b2')), 20)).secret).toBe('b1');
    expect((await cache.userKey('bob', 'OPENAI', counted(key('b3')), 30_000)).secret).toBe('b3');
    // A change announced by another replica is applied without being announced again.
    cache.apply({ kind: 'providers' });
    expect(published).toHaveLength(1);
  });

  it('opens a configuration key once per cached configuration, and never keeps a failure', () => {
    const cache = new RoutingCache();
    const row = configuration('c1');
    let opened = 0;
    expect(() =>
      cache.openedKey(row, () => {
        throw new Error('integrity check failed');
      }),
    ).toThrow('integrity check failed');
    const open = () => {
      opened += 1;
      return 'secret';
    };
    expect(cache.openedKey(row, open)).toBe('secret');
    expect(cache.openedKey(row, open)).toBe('secret');
    expect(cache.openedKey(configuration('c1'), open)).toBe('secret');
    expect(opened).toBe(2);
  });

  it('keeps a health snapshot under the same TTL, dropped by a health change (from any replica) and by clear', async () => {
    const published: RoutingChange[] = [];
    const cache = new RoutingCache({ providerTtlMs: 1_000, publish: (change) => published.push(change) });
    let loads = 0;
    const load = async () => {
      loads += 1;
      return new Map<string, CachedHealth>([[`c${loads}`, { state: 'OPEN', failures: loads, openedAt: 0, trialAt: null }]]);
    };
    const ids = async (now: number) => [...(await cache.health(load, now)).keys()];
    expect(await ids(0)).toEqual(['c1']);
    expect(await ids(999)).toEqual(['c1']);
    expect(await ids(1_000)).toEqual(['c2']);
    // Other kinds of change leave it alone, and it leaves them alone.
    await cache.configurations(async () => [configuration('p1')], 1_000);
    cache.apply({ kind: 'providers' });
    cache.apply({ kind: 'budgets' });
    cache.apply({ kind: 'user-keys', userId: 'u1' });
    expect(await ids(1_001)).toEqual(['c2']);
    await cache.configurations(async () => [configuration('p2')], 1_001);
    const version = cache.version;
    cache.changed({ kind: 'health' });
    expect(cache.version).toBe(version + 1);
    expect(published).toEqual([{ kind: 'health' }]);
    expect((await cache.configurations(async () => [configuration('never read')], 1_002))[0]!.id).toBe('p2');
    expect(await ids(1_002)).toEqual(['c3']);
    cache.apply({ kind: 'health' });
    expect(await ids(1_003)).toEqual(['c4']);
    cache.clear();
    expect(await ids(1_004)).toEqual(['c5']);
    expect(published).toHaveLength(1);
  });

  it('never keeps a health snapshot read while a change landed', async () => {
    const cache = new RoutingCache();
    let release!: () => void;
    const reading = cache.health(
      () =>
        new Promise((resolve) => {
          release = () => resolve(new Map([['before', { state: 'OPEN', failures: 5, openedAt: 0, trialAt: null }]]));
        }),
      0,
    );
    cache.apply({ kind: 'health' });
    release();
    expect([...(await reading).keys()]).toEqual(['before']);
    expect([...(await cache.health(async () => new Map(), 1)).keys()]).toEqual([]);
  });

  it('holds at most maxUserKeys entries, dropping the oldest', async () => {
    const cache = new RoutingCache({ maxUserKeys: 2 });
    let loads = 0;
    const load = async () => {
      loads += 1;
      return key(`k${loads}`);
    };
    await cache.userKey('u1', 'OPENAI', load, 0);
    await cache.userKey('u2', 'OPENAI', load, 0);
    await cache.userKey('u3', 'OPENAI', load, 0);
    expect((await cache.userKey('u3', 'OPENAI', load, 1)).secret).toBe('k3');
    expect((await cache.userKey('u2', 'OPENAI', load, 1)).secret).toBe('k2');
    expect((await cache.userKey('u1', 'OPENAI', load, 1)).secret).toBe('k4');
    expect(loads).toBe(4);
  });
});
