import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSubEvent } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { RoutingChange } from '../modules/providers/routing-cache.ts';

/** A run's progress event as it travels between replicas (JSON-safe: dates as ISO strings). */
export interface AnalysisEventMessage {
  runId: string;
  seq: number;
  stage: string;
  message: string;
  progress: number;
  status: string;
  delta: string | null;
  at: string;
}

/** Channels and payloads of every live event; a module that publishes adds its channel here. */
export type PubSubChannels = {
  'analysis:event': [runId: string, event: AnalysisEventMessage];
  'analysis:cancel': [runId: string, request: { runId: string }];
  'auth:revoked': [revocation: { tokenHash: string }];
  'routing:changed': [change: RoutingChange];
  'budget:event': [event: { budgetId: string; kind: 'WARNING' | 'EXCEEDED'; at: string }];
};

export type PubSub = ReturnType<typeof createPubSub<PubSubChannels>>;

export interface PubSubHandle {
  pubsub: PubSub;
  close(): Promise<void>;
}

/** In-process by default; with REDIS_URL, events cross replicas through Redis. */
export function createPubSubHandle(redisUrl: string | undefined): PubSubHandle {
  if (!redisUrl) return { pubsub: createPubSub<PubSubChannels>(), close: async () => {} };
  // Redis needs separate connections to publish and to subscribe.
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: 3, lazyConnect: false });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
  const eventTarget = createRedisEventTarget<PubSubEvent<PubSubChannels, keyof PubSubChannels>>({ publishClient, subscribeClient });
  return {
    pubsub: createPubSub<PubSubChannels>({ eventTarget }),
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

/**
 * Calls `handle` with every message of a subscription, in order, until the returned function stops it.
 * `onError` hears of a subscription that failed (and so stopped).
 */
export function onEach<Message>(subscription: AsyncIterable<Message>, handle: (message: Message) => void, onError: (error: unknown) => void = () => {}): () => Promise<void> {
  const messages = subscription[Symbol.asyncIterator]();
  const loop = (async () => {
    for (let next = await messages.next(); !next.done; next = await messages.next()) handle(next.value);
  })().catch(onError);
  return async () => {
    await messages.return?.();
    await loop;
  };
}
