import { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyFork } from '../../src/db/lazy-fork.ts';
import { executeBound } from '../../src/db/query.ts';
import { UserSchema } from '../../src/modules/auth/user.entity.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

let t: TestApp;
let fakes: FakeLlmServers;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp();
  await t.configureProvider({ name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI, model: 'gpt-4o-mini' }, apiKey: 'sk-lazy-fork', isActive: true });
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});

/** Counts the forks of the ORM's EntityManager while `run` runs. */
async function forksDuring(run: () => Promise<unknown>): Promise<number> {
  const root = t.runtime.deps.orm.em;
  const fork = root.fork.bind(root);
  let forks = 0;
  root.fork = ((options) => {
    forks += 1;
    return fork(options);
  }) as typeof root.fork;
  try {
    await run();
  } finally {
    root.fork = fork;
  }
  return forks;
}

describe('an operation\u2019s EntityManager, forked on first use', () => {
  it('is not forked by a warm call, which only sends its statements through the pool', async () => {
    const call = () => t.graphql<{ callLlm: { text: string } }>('mutation { callLlm(input: { prompt: "hi" }) { text } }');
    expect((await call()).errors).toBeUndefined();
    const before = t.db.queries.length;
    expect(await forksDuring(async () => expect((await call()).data?.callLlm.text).toBeTruthy())).toBe(0);
    expect(t.db.queries.length - before).toBe(2);
  });

  it('forks once for an operation that uses the ORM, and works as a fork does', async () => {
    expect(await forksDuring(async () => expect((await t.graphql('mutation { createProject(input: { name: "lazy" }) { id } }')).errors).toBeUndefined())).toBe(1);
    const root = t.db.orm.em as unknown as EntityManager;
    const em = lazyFork(root);
    expect(em).toBeInstanceOf(EntityManager);
    expect(em.isInTransaction()).toBe(false);
    expect(em.config).toBe(root.config);
    expect(await executeBound<{ one: number }>(em, 'select 1 as one', [])).toEqual([{ one: 1 }]);
    // Its own identity map, and transactions on the fork.
    const users = await em.find(UserSchema, {});
    expect(users.length).toBeGreaterThan(0);
    expect(em.getUnitOfWork().getIdentityMap().values().length).toBe(users.length);
    await em.transactional(async (inner) => {
      expect(inner.isInTransaction()).toBe(true);
      expect(await inner.count(UserSchema, {})).toBe(users.length);
    });
  });
});
