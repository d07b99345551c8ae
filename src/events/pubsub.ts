import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
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

type OutageLogger = Pick<Logger, 'warn' | 'info'>;

/** A Redis URL fit for a log line: its password masked. */
function shownRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable Redis URL>';
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

// Reconnection: 200 ms, 400 ms, ... then every 3 s, for as long as Redis stays away.
const RECONNECT_MAX_MS = 3_000;
const reconnectDelay = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 5), RECONNECT_MAX_MS);

export interface RedisClientOptions {
  /** What the connection serves and what degrades without it, for the outage warning ("rate limits: calls pass unchecked"). */
  purpose: string;
  logger?: OutageLogger;
  /**
   * A subscriber's commands (SUBSCRIBE, UNSUBSCRIBE) wait for the connection however long it takes, so a
   * subscription made during an outage takes effect once Redis is back. Any other command fails after one
   * reconnection attempt: nothing waits on Redis for long, and no queue grows while it is away.
   */
  subscriber?: boolean;
  commandTimeoutMs?: number;
}

// The connections made by `createRedisClient` that lost Redis and are not ready again yet.
const down = new WeakSet<Redis>();

/**
 * Every Redis connection of the process comes from here. Losing Redis never stops the process: the
 * connection reconnects for ever (capped backoff), its errors are listened to, and the outage is logged
 * twice, once when it starts (warn) and once when it ends (info), not at every retry.
 */
export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  const client = new Redis(url, {
    lazyConnect: false,
    connectTimeout: 2_000,
    retryStrategy: reconnectDelay,
    maxRetriesPerRequest: options.subscriber ? null : 1,
    ...(options.commandTimeoutMs !== undefined ? { commandTimeout: options.commandTimeoutMs } : {}),
  });
  const where = { redis: shownRedisUrl(url), purpose: options.purpose };
  const lost = (reason: string) => {
    if (down.has(client)) return;
    down.add(client);
    options.logger?.warn({ ...where, reason }, `Redis is unreachable (${options.purpose}); reconnecting`);
  };
  client.on('error', (error: Error) => lost(error.message));
  // A connection that was up and closed (Redis stopped, the network dropped) reconnects without an error first.
  client.on('reconnecting', () => lost('connection closed'));
  client.on('ready', () => {
    if (!down.delete(client)) return;
    options.logger?.info(where, `Redis is reachable again (${options.purpose})`);
  });
  return client;
}

/**
 * Whether a connection made by `createRedisClient` is lost: from its first error or unexpected close until
 * it is ready again. While it is, callers skip Redis at once rather than queue commands for it. (Before the
 * first connection it is not lost: early commands wait for it.)
 */
export function redisIsDown(client: Redis): boolean {
  return down.has(client);
}

type PubSubEventTarget = NonNullable<NonNullable<Parameters<typeof createPubSub<PubSubChannels>>[0]>['eventTarget']>;
// Any listener yoga's pub/sub adds; each is called with events of its own topic only.
type Listener = ((event: never) => void) | { handleEvent(event: never): void };

/**
 * Events through Redis, as @graphql-yoga/redis-event-target carries them (one channel per topic, JSON), with
 * an outage in mind: no command's failure is left unhandled, and an event that cannot be published is still
 * delivered to this replica's own subscribers (other replicas miss it; run followers read the events table).
 * Subscriptions made while Redis is away take effect when it is back, and ioredis re-subscribes the others.
 */
function redisEventTarget(publisher: Redis, subscriber: Redis, logger: Pick<Logger, 'warn' | 'debug'>): PubSubEventTarget {
  const listeners = new Map<string, Set<Listener>>();
  // Called from ioredis' parser or a publisher: whatever goes wrong is logged here, never thrown back.
  const receive = (channel: string, message: string) => {
    try {
      const event = new CustomEvent(channel, { detail: message === '' ? null : JSON.parse(message) });
      for (const listener of listeners.get(channel) ?? []) {
        if (typeof listener === 'function') listener(event as never);
        else listener.handleEvent(event as never);
      }
    } catch (error) {
      logger.warn({ channel, reason: messageOf(error) }, 'an event could not be delivered');
    }
  };
  const onFailure = (action: string, channel: string) => (error: unknown) => logger.debug({ channel, reason: messageOf(error) }, `Redis ${action} failed`);
  subscriber.on('message', receive);
  return {
    addEventListener(channel, listener) {
      if (!listener) return;
      const set = listeners.get(channel) ?? new Set<Listener>();
      if (set.size === 0) {
        listeners.set(channel, set);
        subscriber.subscribe(channel).catch(onFailure('SUBSCRIBE', channel));
      }
      set.add(listener);
    },
    removeEventListener(channel, listener) {
      const set = listeners.get(channel);
      if (!set || !listener || !set.delete(listener) || set.size > 0) return;
      listeners.delete(channel);
      subscriber.unsubscribe(channel).catch(onFailure('UNSUBSCRIBE', channel));
    },
    dispatchEvent(event) {
      const message = event.detail === undefined || event.detail === null ? '' : JSON.stringify(event.detail);
      // Redis lost: straight to this replica's subscribers (the connection's warning said the rest once).
      if (redisIsDown(publisher)) {
        logger.debug({ channel: event.type }, 'Redis is down: event delivered to this replica only');
        receive(event.type, message);
        return true;
      }
      publisher.publish(event.type, message).catch((error: unknown) => {
        logger[redisIsDown(publisher) ? 'debug' : 'warn']({ channel: event.type, reason: messageOf(error) }, 'event not published to Redis: only this replica sees it');
        receive(event.type, message);
      });
      return true;
    },
  };
}

const redisOfPubSub = new WeakMap<PubSub, Record<'publish' | 'subscribe', Redis>>();

/** The state of each Redis connection a pub/sub runs on ("ready", "reconnecting", ...); null when it is in-process. */
export function redisStatusOf(pubsub: PubSub): Record<'publish' | 'subscribe', string> | null {
  const clients = redisOfPubSub.get(pubsub);
  return clients ? { publish: clients.publish.status, subscribe: clients.subscribe.status } : null;
}

/** In-process by default; with REDIS_URL, events cross replicas through Redis. */
export function createPubSubHandle(redisUrl: string | undefined, logger?: Logger): PubSubHandle {
  if (!redisUrl) return { pubsub: createPubSub<PubSubChannels>(), close: async () => {} };
  const log: Pick<Logger, 'warn' | 'info' | 'debug'> = logger ?? { warn: () => {}, info: () => {}, debug: () => {} };
  // Redis needs separate connections to publish and to subscribe.
  const publish = createRedisClient(redisUrl, { purpose: 'events: published events reach only this replica', logger: log });
  const subscribe = createRedisClient(redisUrl, { purpose: "events: other replicas' events do not arrive", logger: log, subscriber: true });
  const pubsub = createPubSub<PubSubChannels>({ eventTarget: redisEventTarget(publish, subscribe, log) });
  redisOfPubSub.set(pubsub, { publish, subscribe });
  return {
    pubsub,
    close: async () => {
      publish.disconnect();
      subscribe.disconnect();
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
