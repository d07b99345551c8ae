import { createPubSub } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import type { AnalysisEventMessage, PubSub, PubSubChannels } from '../../../src/events/pubsub.ts';
import { RunFeeds } from '../../../src/modules/analysis/run-feeds.ts';

const event = (runId: string, seq: number): AnalysisEventMessage => ({
  runId,
  seq,
  stage: 'running',
  message: `event ${seq}`,
  progress: 0,
  status: 'RUNNING',
  delta: null,
  at: new Date(0).toISOString(),
});

/**
 * A pub/sub that counts, per run, the subscriptions opened on it and those closed (returned): what
 * "one subscription" and "closes it" are about.
 */
function countingPubSub() {
  const inner = createPubSub<PubSubChannels>();
  const opened: string[] = [];
  const closed: string[] = [];
  const subscribe = ((...args: Parameters<PubSub['subscribe']>) => {
    const id = String(args[1]);
    const source = inner.subscribe(...args);
    opened.push(id);
    return {
      [Symbol.asyncIterator]() {
        const messages = source[Symbol.asyncIterator]();
        return {
          next: () => messages.next(),
          return: (value?: unknown) => {
            closed.push(id);
            return messages.return ? messages.return(value) : Promise.resolve({ done: true as const, value });
          },
        };
      },
    };
  }) as PubSub['subscribe'];
  const pubsub: PubSub = { publish: inner.publish.bind(inner), subscribe };
  return { pubsub, opened, closed };
}

/**
 * The seqs a listener was handed, and a promise for the moment it has been handed `count` of them: the
 * test waits for the events themselves, not for a guessed delay. It fails (with what arrived) if they do
 * not come within `timeoutMs`.
 */
function follower(name: string) {
  const seqs: number[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  const listener = (e: AnalysisEventMessage) => {
    seqs.push(e.seq);
    for (const waiter of waiting.filter((w) => seqs.length >= w.count)) {
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const received = (count: number, timeoutMs = 5_000) =>
    seqs.length >= count
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${name}: expected ${count} events, got ${JSON.stringify(seqs)}`)), timeoutMs);
          waiting.push({
            count,
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
          });
        });
  return { seqs, listener, received };
}

describe('RunFeeds', () => {
  it('hands each event of a run to every follower through one subscription, and closes it after the last one leaves', async () => {
    const { pubsub, opened, closed } = countingPubSub();
    const feeds = new RunFeeds(pubsub);
    const a = follower('a');
    const b = follower('b');
    const other = follower('other');
    const stopA = feeds.listen('run-1', a.listener);
    const stopB = feeds.listen('run-1', b.listener);
    const stopOther = feeds.listen('run-2', other.listener);
    expect(feeds.openFeeds).toBe(2);
    // One subscription per run, however many follow it.
    expect(opened).toEqual(['run-1', 'run-2']);
    // A follower hears what is published right after listen returns: no wait is needed for it to "take".
    pubsub.publish('analysis:event', 'run-1', event('run-1', 1));
    pubsub.publish('analysis:event', 'run-2', event('run-2', 7));
    pubsub.publish('analysis:event', 'run-1', event('run-1', 2));
    await Promise.all([a.received(2), b.received(2), other.received(1)]);
    expect(a.seqs).toEqual([1, 2]);
    expect(b.seqs).toEqual([1, 2]);
    expect(other.seqs).toEqual([7]);

    stopA();
    expect(closed).toEqual([]);
    pubsub.publish('analysis:event', 'run-1', event('run-1', 3));
    // b and a would be handed event 3 by the same call: once b has it, a would have too.
    await b.received(3);
    expect(a.seqs).toEqual([1, 2]);
    expect(b.seqs).toEqual([1, 2, 3]);
    stopB();
    expect(closed).toEqual(['run-1']);
    stopOther();
    expect(closed).toEqual(['run-1', 'run-2']);
    expect(feeds.openFeeds).toBe(0);
    expect(other.seqs).toEqual([7]);

    const again = follower('again');
    const stopAgain = feeds.listen('run-1', again.listener);
    expect(opened).toEqual(['run-1', 'run-2', 'run-1']);
    pubsub.publish('analysis:event', 'run-1', event('run-1', 4));
    await again.received(1);
    expect(again.seqs).toEqual([4]);
    // The followers that left heard nothing more.
    expect([a.seqs, b.seqs]).toEqual([
      [1, 2],
      [1, 2, 3],
    ]);
    stopAgain();
    expect(closed).toEqual(['run-1', 'run-2', 'run-1']);
    expect(feeds.openFeeds).toBe(0);
  });
});
