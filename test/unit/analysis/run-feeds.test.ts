import { createPubSub } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import type { AnalysisEventMessage, PubSubChannels } from '../../../src/graphql/pubsub.ts';
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

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('RunFeeds', () => {
  it('hands each event of a run to every follower through one subscription, and closes it after the last one leaves', async () => {
    const pubsub = createPubSub<PubSubChannels>();
    const feeds = new RunFeeds(pubsub);
    const a: number[] = [];
    const b: number[] = [];
    const other: number[] = [];
    const stopA = feeds.listen('run-1', (e) => a.push(e.seq));
    const stopB = feeds.listen('run-1', (e) => b.push(e.seq));
    const stopOther = feeds.listen('run-2', (e) => other.push(e.seq));
    expect(feeds.openFeeds).toBe(2);
    await settle();
    pubsub.publish('analysis:event', 'run-1', event('run-1', 1));
    pubsub.publish('analysis:event', 'run-2', event('run-2', 7));
    pubsub.publish('analysis:event', 'run-1', event('run-1', 2));
    await settle();
    expect(a).toEqual([1, 2]);
    expect(b).toEqual([1, 2]);
    expect(other).toEqual([7]);

    stopA();
    pubsub.publish('analysis:event', 'run-1', event('run-1', 3));
    await settle();
    expect(a).toEqual([1, 2]);
    expect(b).toEqual([1, 2, 3]);
    stopB();
    stopOther();
    expect(feeds.openFeeds).toBe(0);

    const again: number[] = [];
    const stopAgain = feeds.listen('run-1', (e) => again.push(e.seq));
    await settle();
    pubsub.publish('analysis:event', 'run-1', event('run-1', 4));
    await settle();
    expect(again).toEqual([4]);
    stopAgain();
  });
});
