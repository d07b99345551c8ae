import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createPubSubHandle } from '../../src/events/pubsub.ts';
import { RevocationWatch, untilRevoked } from '../../src/http/subscription-revocation.ts';
import { userRevocationKey } from '../../src/modules/auth/token-cache.ts';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const never = new Promise<never>(() => {});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('untilRevoked', () => {
  it("passes the source's results through and releases once when the source ends", async () => {
    let releases = 0;
    async function* source(): AsyncGenerator<ExecutionResult> {
      yield { data: { n: 1 } };
      yield { data: { n: 2 } };
    }
    const results = untilRevoked(source(), never, () => releases++);
    const seen: unknown[] = [];
    for await (const result of results) seen.push(result.data);
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
    expect(releases).toBe(1);
    expect(await results.next()).toEqual({ done: true, value: undefined });
    expect(releases).toBe(1);
  });

  it('ends an idle subscription at once when its token is revoked, with one UNAUTHENTICATED result', async () => {
    let releases = 0;
    let returned = false;
    const idle = deferred();
    async function* source(): AsyncGenerator<ExecutionResult> {
      try {
        yield { data: { n: 1 } };
        await idle.promise;
        yield { data: { n: 2 } };
      } finally {
        returned = true;
      }
    }
    const revoked = deferred();
    const results = untilRevoked(source(), revoked.promise, () => releases++);
    expect((await results.next()).value).toEqual({ data: { n: 1 } });
    const pending = results.next();
    revoked.resolve();
    const step = await pending;
    expect(step.done).toBe(false);
    expect(step.value?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await results.next()).toEqual({ done: true, value: undefined });
    expect(releases).toBe(1);
    // The source is asked to return; it does once its pending step settles.
    idle.resolve();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(returned).toBe(true);
  });

  it('answers UNAUTHENTICATED at the next step when the token was revoked between steps', async () => {
    async function* source(): AsyncGenerator<ExecutionResult> {
      for (let n = 1; ; n++) yield { data: { n } };
    }
    const revoked = deferred();
    const results = untilRevoked(source(), revoked.promise, () => {});
    await results.next();
    revoked.resolve();
    await revoked.promise;
    const step = await results.next();
    expect(step.value?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await results.next()).done).toBe(true);
  });

  it('keeps no delivered result reachable while the subscription lives on', async () => {
    const delivered: WeakRef<object>[] = [];
    const next = deferred();
    async function* source(): AsyncGenerator<ExecutionResult> {
      for (let n = 0; n < 50; n++) {
        const result = { data: { n, padding: 'x'.repeat(1000) } };
        delivered.push(new WeakRef(result));
        yield result;
      }
      await next.promise;
    }
    // A token that is never revoked: the promise lives as long as the subscription.
    const revoked = deferred();
    const results = untilRevoked(source(), revoked.promise, () => {});
    for (let n = 0; n < 50; n++) await results.next();
    const last = results.next();
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    // The last one may still be in the suspended generator's registers; every earlier one must be gone.
    const alive = delivered.slice(0, -1).flatMap((ref, n) => (ref.deref() === undefined ? [] : [n]));
    expect(alive).toEqual([]);
    next.resolve();
    expect((await last).done).toBe(true);
  });
});

describe('RevocationWatch', () => {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

  it("hands each revocation to its token's watchers and a user's change to that user's, over one pub/sub subscription", async () => {
    const { pubsub, close } = createPubSubHandle(undefined);
    const watch = new RevocationWatch(pubsub, { warn: () => {} });
    const calls: string[] = [];
    const stops = [
      watch.watch('hash-a', 'user-1', () => calls.push('a revoked'), () => calls.push('a changed')),
      watch.watch('hash-b', 'user-1', () => calls.push('b revoked'), () => calls.push('b changed')),
      watch.watch('hash-c', 'user-2', () => calls.push('c revoked'), () => calls.push('c changed')),
    ];
    expect(watch.listening).toBe(1);
    await tick();
    pubsub.publish('auth:revoked', { tokenHash: 'hash-b' });
    await tick();
    expect(calls).toEqual(['b revoked']);
    pubsub.publish('auth:revoked', { tokenHash: userRevocationKey('user-1') });
    await tick();
    expect(calls).toEqual(['b revoked', 'a changed', 'b changed']);
    // A stopped watcher hears nothing more; the last one stopping ends the pub/sub subscription.
    stops[0]!();
    stops[0]!();
    pubsub.publish('auth:revoked', { tokenHash: 'hash-a' });
    await tick();
    expect(calls).toHaveLength(3);
    stops[1]!();
    stops[2]!();
    expect(watch.listening).toBe(0);
    // And a new watcher listens again.
    watch.watch('hash-d', 'user-3', () => calls.push('d revoked'), () => {});
    await tick();
    pubsub.publish('auth:revoked', { tokenHash: 'hash-d' });
    await tick();
    expect(calls.at(-1)).toBe('d revoked');
    await close();
  });
});
