import { type AnalysisEventMessage, onEach, type PubSub } from '../../events/pubsub.ts';

type Listener = (event: AnalysisEventMessage) => void;

interface Feed {
  listeners: Set<Listener>;
  close: () => Promise<void>;
}

/**
 * One pub/sub subscription per run and process, however many clients follow the run: an event is taken
 * off the pub/sub once and handed to every local follower by a plain call. A thousand followers would
 * otherwise be a thousand subscriptions, each with its own queue and async loop per event.
 */
export class RunFeeds {
  private readonly pubsub: PubSub;
  private readonly feeds = new Map<string, Feed>();

  constructor(pubsub: PubSub) {
    this.pubsub = pubsub;
  }

  /** Calls `listener` with every event published for the run from now on; the returned function stops it. */
  listen(runId: string, listener: Listener): () => void {
    const feed = this.feeds.get(runId) ?? this.open(runId);
    feed.listeners.add(listener);
    return () => {
      feed.listeners.delete(listener);
      if (feed.listeners.size === 0 && this.feeds.get(runId) === feed) {
        this.feeds.delete(runId);
        void feed.close();
      }
    };
  }

  /** How many runs have a live subscription in this process (for tests). */
  get openFeeds(): number {
    return this.feeds.size;
  }

  private open(runId: string): Feed {
    const listeners = new Set<Listener>();
    const close = onEach(this.pubsub.subscribe('analysis:event', runId), (event) => {
      for (const listener of listeners) listener(event);
    });
    const feed: Feed = { listeners, close };
    this.feeds.set(runId, feed);
    return feed;
  }
}

const byPubSub = new WeakMap<PubSub, RunFeeds>();

/** The process's feeds over one pub/sub. */
export function runFeedsOf(pubsub: PubSub): RunFeeds {
  let feeds = byPubSub.get(pubsub);
  if (!feeds) {
    feeds = new RunFeeds(pubsub);
    byPubSub.set(pubsub, feeds);
  }
  return feeds;
}
