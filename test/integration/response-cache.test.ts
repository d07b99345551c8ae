import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CacheableCall, type CacheScope, ResponseCache, type ResponseCacheOptions, responseCacheKey } from '../../src/modules/cache/response-cache.ts';
import { RecentAnswers } from '../../src/modules/cache/recent-answers.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let em: EntityManager;

beforeAll(async () => {
  db = await createTestDatabase();
  em = db.orm.em.fork() as EntityManager;
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  await db.sql('delete from specs.response_cache');
});

const alice: CacheScope = { userId: '00000000-0000-4000-8000-00000000000a', projectId: null };
const bob: CacheScope = { userId: '00000000-0000-4000-8000-00000000000b', projectId: null };
const projectId = '00000000-0000-4000-8000-0000000000aa';

type Answer = { text: string; finishReason: string; toolCalls: { id: string; name: string; arguments: string }[] };
const answer: Answer = { text: 'Sunny, 21 °C.', finishReason: 'stop', toolCalls: [] };

const base: CacheableCall = {
  provider: 'OPENAI',
  configurationId: '00000000-0000-4000-8000-000000000c01',
  model: 'gpt-4o-mini',
  request: {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is the weather in Paris?' },
    ],
    maxTokens: 200,
    temperature: 0.2,
    tools: [{ name: 'weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
    toolChoice: { type: 'auto' },
    responseFormat: { type: 'text' },
  },
};
const withRequest = (change: Partial<CacheableCall['request']>): CacheableCall => ({ ...base, request: { ...base.request, ...change } });

/** A clock the test moves by hand. */
function manualClock(start = new Date('2026-03-01T12:00:00.000Z')) {
  let current = start.getTime();
  return { now: () => new Date(current), advance: (seconds: number) => void (current += seconds * 1000) };
}

const cacheOf = (options: Partial<ResponseCacheOptions> = {}) => new ResponseCache<Answer>(em, { maxEntries: 100, maxEntryBytes: 1 << 20, ...options });
const rowCount = async () => (await db.sql<{ n: number }>('select count(*)::int as n from specs.response_cache'))[0]!.n;

describe('ResponseCache', () => {
  it('serves what was put, in one statement per put and per get, and stores its scope and size', async () => {
    const cache = cacheOf();
    const key = responseCacheKey(alice, base);
    expect(await cache.get(key, alice)).toBeNull();
    const before = db.queries.length;
    expect(await cache.put(key, alice, answer, 60)).toBe(true);
    expect(db.queries.length - before).toBe(1);
    expect(await cache.get(key, alice)).toEqual(answer);
    expect(db.queries.length - before).toBe(2);
    const [row] = await db.sql('select user_id, project_id, size_bytes from specs.response_cache where key = $1', [key]);
    expect(row).toEqual({ user_id: alice.userId, project_id: null, size_bytes: Buffer.byteLength(JSON.stringify(answer)) });
  });

  it('replaces the value of a key put again, keeping one row', async () => {
    const cache = cacheOf();
    const key = responseCacheKey(alice, base);
    await cache.put(key, alice, answer, 60);
    const newer = { ...answer, text: 'Rain later.' };
    expect(await cache.put(key, alice, newer, 60)).toBe(true);
    expect(await cache.get(key, alice)).toEqual(newer);
    expect(await rowCount()).toBe(1);
  });

  const messages = base.request.messages;
  const tool = base.request.tools![0]!;
  const variations: [string, CacheableCall][] = [
    ['provider', { ...base, provider: 'MISTRAL' }],
    ['configuration', { ...base, configurationId: '00000000-0000-4000-8000-000000000c02' }],
    ['configuration absent', { ...base, configurationId: null }],
    ['model', { ...base, model: 'gpt-4o', request: { ...base.request, model: 'gpt-4o' } }],
    ['a message', withRequest({ messages: [messages[0]!, { role: 'user', content: 'What is the weather in Lyon?' }] })],
    ['the system message', withRequest({ messages: [{ role: 'system', content: 'Be thorough.' }, messages[1]!] })],
    ['a tool', withRequest({ tools: [{ ...tool, parameters: { type: 'object', properties: { city: { type: 'number' } }, required: ['city'] } }] })],
    ['the tools offered', withRequest({ tools: undefined })],
    ['toolChoice', withRequest({ toolChoice: { type: 'tool', name: 'weather' } })],
    ['responseFormat', withRequest({ responseFormat: { type: 'json_object' } })],
    ['maxTokens', withRequest({ maxTokens: 100 })],
    ['temperature', withRequest({ temperature: 0.7 })],
  ];

  it.each(variations)('misses when the %s differs', async (_name, variation) => {
    const cache = cacheOf();
    await cache.put(responseCacheKey(alice, base), alice, answer, 60);
    expect(await cache.get(responseCacheKey(alice, variation), alice)).toBeNull();
    // The stored call itself is still a hit, so the miss is the variation's doing.
    expect(await cache.get(responseCacheKey(alice, base), alice)).toEqual(answer);
  });

  it('hits for the same call written with its object keys in another order', async () => {
    const cache = cacheOf();
    await cache.put(responseCacheKey(alice, base), alice, answer, 60);
    const reordered: CacheableCall = {
      request: {
        toolChoice: { type: 'auto' },
        responseFormat: { type: 'text' },
        tools: [{ parameters: { required: ['city'], properties: { city: { type: 'string' } }, type: 'object' }, description: 'Current weather', name: 'weather' }],
        messages: [
          { content: 'Be brief.', role: 'system' },
          { content: 'What is the weather in Paris?', role: 'user' },
        ],
        temperature: 0.2,
        maxTokens: 200,
        model: 'gpt-4o-mini',
      },
      model: 'gpt-4o-mini',
      configurationId: '00000000-0000-4000-8000-000000000c01',
      provider: 'OPENAI',
    };
    expect(await cache.get(responseCacheKey(alice, reordered), alice)).toEqual(answer);
  });

  it('never shares between two users, even when one asks with the other one\'s key', async () => {
    const cache = cacheOf();
    const aliceKey = responseCacheKey(alice, base);
    const bobKey = responseCacheKey(bob, base);
    expect(bobKey).not.toBe(aliceKey);
    await cache.put(aliceKey, alice, answer, 60);
    expect(await cache.get(bobKey, bob)).toBeNull();
    expect(await cache.get(aliceKey, bob)).toBeNull();
    // Nor can a put under Bob's scope take over Alice's row.
    expect(await cache.put(aliceKey, bob, { ...answer, text: 'planted' }, 60)).toBe(false);
    expect(await cache.get(aliceKey, alice)).toEqual(answer);
    expect(await cache.get(aliceKey, bob)).toBeNull();
  });

  it('shares within a project between its users, and only within it', async () => {
    const cache = cacheOf();
    const aliceInProject: CacheScope = { userId: alice.userId, projectId };
    const bobInProject: CacheScope = { userId: bob.userId, projectId };
    const key = responseCacheKey(aliceInProject, base);
    expect(responseCacheKey(bobInProject, base)).toBe(key);
    await cache.put(key, aliceInProject, answer, 60);
    expect(await cache.get(key, bobInProject)).toEqual(answer);
    // Outside the project: not Bob's personal cache, not Alice's, not another project's.
    expect(await cache.get(responseCacheKey(bob, base), bob)).toBeNull();
    expect(await cache.get(key, bob)).toBeNull();
    expect(await cache.get(key, alice)).toBeNull();
    expect(await cache.get(key, { userId: bob.userId, projectId: '00000000-0000-4000-8000-0000000000bb' })).toBeNull();
    // A project's answer and a personal one of the same call are separate rows.
    await cache.put(responseCacheKey(alice, base), alice, { ...answer, text: 'personal' }, 60);
    expect(await cache.get(key, bobInProject)).toEqual(answer);
    expect(await rowCount()).toBe(2);
  });

  it('never serves an expired entry, swept or not, and sweep removes it', async () => {
    const clock = manualClock();
    const cache = cacheOf({ now: clock.now });
    const key = responseCacheKey(alice, base);
    const other = responseCacheKey(alice, withRequest({ temperature: 1 }));
    await cache.put(key, alice, answer, 60);
    await cache.put(other, alice, answer, 600);
    clock.advance(59);
    expect(await cache.get(key, alice)).toEqual(answer);
    clock.advance(1);
    expect(await cache.get(key, alice)).toBeNull();
    expect(await rowCount()).toBe(2);
    expect(await cache.sweep()).toBe(1);
    expect(await db.sql('select key from specs.response_cache')).toEqual([{ key: other }]);
    expect(await cache.get(other, alice)).toEqual(answer);
    // Stored again, it is served again for a new TTL.
    await cache.put(key, alice, answer, 60);
    expect(await cache.get(key, alice)).toEqual(answer);
  });

  it('refreshes an expired, unswept entry when put again', async () => {
    const clock = manualClock();
    const cache = cacheOf({ now: clock.now });
    const key = responseCacheKey(alice, base);
    await cache.put(key, alice, answer, 10);
    clock.advance(20);
    expect(await cache.put(key, alice, { ...answer, text: 'fresh' }, 10)).toBe(true);
    expect(await cache.get(key, alice)).toEqual({ ...answer, text: 'fresh' });
  });

  it('keeps at most maxEntries rows after a sweep, evicting the oldest', async () => {
    const clock = manualClock();
    const cache = cacheOf({ maxEntries: 3, now: clock.now });
    const keys = [0.1, 0.2, 0.3, 0.4, 0.5].map((temperature) => responseCacheKey(alice, withRequest({ temperature })));
    for (const key of keys) {
      await cache.put(key, alice, answer, 3600);
      clock.advance(1);
    }
    expect(await rowCount()).toBe(5);
    expect(await cache.sweep()).toBe(2);
    expect(await rowCount()).toBe(3);
    expect(await cache.get(keys[0]!, alice)).toBeNull();
    expect(await cache.get(keys[1]!, alice)).toBeNull();
    for (const key of keys.slice(2)) expect(await cache.get(key, alice)).toEqual(answer);
    expect(await cache.sweep()).toBe(0);
  });

  it('counts expired rows apart from the bound: they go first, then only as many live rows as exceed it', async () => {
    const clock = manualClock();
    const cache = cacheOf({ maxEntries: 2, now: clock.now });
    const keys = [0.1, 0.2, 0.3, 0.4].map((temperature) => responseCacheKey(alice, withRequest({ temperature })));
    await cache.put(keys[0]!, alice, answer, 5); // expires
    clock.advance(1);
    for (const key of keys.slice(1)) {
      await cache.put(key, alice, answer, 3600);
      clock.advance(1);
    }
    clock.advance(10);
    expect(await cache.sweep()).toBe(2);
    expect((await db.sql<{ key: string }>('select key from specs.response_cache order by key')).map((row) => row.key)).toEqual([keys[2], keys[3]].sort());
  });

  it('does not store a value larger than maxEntryBytes, counting UTF-8 bytes', async () => {
    const fits: Answer = { ...answer, text: '' };
    const emptySize = Buffer.byteLength(JSON.stringify(fits));
    const cache = cacheOf({ maxEntryBytes: emptySize + 10 });
    const key = responseCacheKey(alice, base);
    expect(await cache.put(key, alice, { ...answer, text: 'é'.repeat(6) }, 60)).toBe(false); // 12 bytes, 6 characters
    expect(await rowCount()).toBe(0);
    expect(await cache.get(key, alice)).toBeNull();
    expect(await cache.put(key, alice, { ...answer, text: 'é'.repeat(5) }, 60)).toBe(true); // exactly the bound
    expect(await cache.get(key, alice)).toEqual({ ...answer, text: 'ééééé' });
  });

  it('skips, rather than fails on, an answer jsonb cannot hold', async () => {
    const cache = cacheOf();
    const key = responseCacheKey(alice, base);
    expect(await cache.put(key, alice, { ...answer, text: 'a\u0000b' }, 60)).toBe(false);
    expect(await cache.put(key, alice, { ...answer, text: 'lone \ud800 surrogate' }, 60)).toBe(false);
    expect(await rowCount()).toBe(0);
    // A paired surrogate (an emoji) is ordinary text.
    expect(await cache.put(key, alice, { ...answer, text: 'sunny ☀️ 🌤' }, 60)).toBe(true);
    expect((await cache.get(key, alice))?.text).toBe('sunny ☀️ 🌤');
  });
});

describe('ResponseCache with a replica\u2019s copy of recent answers', () => {
  it('serves its copy without a statement, to the same scope only, until the shared row expires, each hit a copy of its own', async () => {
    const clock = manualClock();
    const recent = new RecentAnswers(1 << 20);
    const writer = cacheOf({ now: clock.now, recent });
    const key = responseCacheKey({ ...alice, projectId }, base);
    expect(await writer.put(key, { ...alice, projectId }, answer, 60)).toBe(true);
    const before = db.queries.length;
    const first = (await writer.get(key, { ...alice, projectId }))!;
    // Anyone who may read the project shares its answers (the caller checked that bob may).
    expect(await writer.get(key, { ...bob, projectId })).toEqual(answer);
    expect(db.queries.length).toBe(before);
    // A user's own scope is not the project's, even with the same key.
    expect(await writer.get(key, alice)).toBeNull();
    first.text = 'changed by a caller';
    expect((await writer.get(key, { ...alice, projectId }))!.text).toBe(answer.text);
    // Past the row's expiry the copy is gone too.
    clock.advance(61);
    expect(await writer.get(key, { ...alice, projectId })).toBeNull();
    expect(recent.size.entries).toBe(0);
  });

  it('fills its copy from a shared row another replica wrote, with that row\u2019s expiry', async () => {
    const clock = manualClock();
    const key = responseCacheKey(alice, base);
    expect(await cacheOf({ now: clock.now }).put(key, alice, answer, 30)).toBe(true);
    const reader = cacheOf({ now: clock.now, recent: new RecentAnswers(1 << 20) });
    const before = db.queries.length;
    expect(await reader.get(key, alice)).toEqual(answer);
    expect(await reader.get(key, alice)).toEqual(answer);
    expect(db.queries.length - before).toBe(1);
    clock.advance(31);
    expect(await reader.get(key, alice)).toBeNull();
  });
});
