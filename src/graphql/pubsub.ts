import { createPubSub } from 'graphql-yoga';

/** Channels and payloads of every live event; a module that publishes adds its channel here. */
export type PubSubChannels = {
  'ping:tick': [{ seq: number; at: Date }];
};

export type PubSub = ReturnType<typeof createPubSub<PubSubChannels>>;

export function createInProcessPubSub(): PubSub {
  return createPubSub<PubSubChannels>();
}
