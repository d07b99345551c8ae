// A subscription lives as long as its token: revoking the token ends it, on every transport.
import type { ExecutionResult } from 'graphql';
import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';
import { type PubSub, onEach } from '../events/pubsub.ts';
import type { Logger } from '../logger.ts';
import { revokedUserOf } from '../modules/auth/token-cache.ts';
import { bearerToken, hashToken } from '../modules/auth/token.ts';
import type { Context } from '../graphql/context.ts';
import type { InitialContext } from './authorization.ts';

/**
 * How often a live subscription checks its token again, whatever the channel said: a revocation on a
 * replica that shares no Redis with this one reaches it only this way. The token cache's window
 * (TokenCache's default ttl): a re-check inside it may still read the cached viewer.
 */
export const SUBSCRIPTION_RECHECK_MS = 30_000;

export interface RevocationOptions {
  pubsub: PubSub;
  logger: Logger;
  /** The Authorization an operation was authenticated with (the same reading as the context's). */
  authorizationOf(context: InitialContext): string | null;
  recheckMs?: number;
}

const revokedResult = (): ExecutionResult => ({
  errors: [createGraphQLError('The access token of this subscription was revoked: the subscription has ended.', { extensions: { code: 'UNAUTHENTICATED' } })],
});

/**
 * The source's results until `revoked` settles; then one UNAUTHENTICATED result, and the end (the source
 * is released). A plain iterator rather than an async generator, so a client leaving while the source is
 * idle releases it at once instead of after its next event.
 *
 * `revoked` is listened to once, not raced against each step: `Promise.race` would leave a reaction on
 * that promise per event, each holding its event's result for as long as the subscription lives.
 */
export function untilRevoked(source: AsyncIterable<ExecutionResult>, revoked: Promise<void>, release: () => void): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  let isRevoked = false;
  // Ends the pending step early when the token is revoked while the source is idle.
  let interrupt: (() => void) | null = null;
  void revoked.then(() => {
    isRevoked = true;
    interrupt?.();
  });
  const finish = () => {
    if (done) return;
    done = true;
    release();
    // Not awaited: a source that never yields again must not hold the end back.
    Promise.resolve(iterator.return?.()).catch(() => {});
  };
  const ended = { done: true, value: undefined } as IteratorReturnResult<undefined> as IteratorResult<ExecutionResult>;
  const revokedStep = (): IteratorResult<ExecutionResult> => {
    if (done) return ended;
    finish();
    return { done: false, value: revokedResult() };
  };
  return {
    next() {
      if (done) return Promise.resolve(ended);
      if (isRevoked) return Promise.resolve(revokedStep());
      return new Promise<IteratorResult<ExecutionResult>>((resolve, reject) => {
        const stop = () => resolve(revokedStep());
        interrupt = stop;
        iterator.next().then(
          (step) => {
            if (interrupt === stop) interrupt = null;
            if (done) return resolve(ended);
            if (step.done) {
              done = true;
              release();
            }
            resolve(step);
          },
          (error: unknown) => {
            if (interrupt === stop) interrupt = null;
            reject(error);
          },
        );
      });
    },
    async return() {
      finish();
      return ended;
    },
    async throw(error: unknown) {
      finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * One `auth:revoked` pub/sub subscription for every GraphQL subscription the plugin watches (one plugin per
 * app, so one per process): each revocation is handed by a plain call to the watchers of its token, or of
 * its user, instead of every live subscription keeping a pub/sub subscription (an event listener and an
 * async loop) of its own. Opened with the first watcher, closed with the last.
 */
export class RevocationWatch {
  private readonly byToken = new Map<string, Set<() => void>>();
  private readonly byUser = new Map<string, Set<() => void>>();
  private stop: (() => Promise<void>) | null = null;
  private readonly pubsub: PubSub;
  private readonly logger: Pick<Logger, 'warn'>;

  constructor(pubsub: PubSub, logger: Pick<Logger, 'warn'>) {
    this.pubsub = pubsub;
    this.logger = logger;
  }

  /** Calls `revoked` when the token is revoked and `changed` when its user is; the returned function stops. */
  watch(tokenHash: string, userId: string, revoked: () => void, changed: () => void): () => void {
    const unwatchToken = add(this.byToken, tokenHash, revoked);
    const unwatchUser = add(this.byUser, userId, changed);
    this.stop ??= this.listen();
    let watching = true;
    return () => {
      if (!watching) return;
      watching = false;
      unwatchToken();
      unwatchUser();
      // Every watcher is in byToken (an emptied set is dropped): none left, nothing to listen for.
      if (this.byToken.size === 0 && this.stop) {
        void this.stop();
        this.stop = null;
      }
    };
  }

  /** How many pub/sub subscriptions it holds (for tests): one while anything watches, else none. */
  get listening(): number {
    return this.stop ? 1 : 0;
  }

  private listen(): () => Promise<void> {
    const stop = onEach(
      this.pubsub.subscribe('auth:revoked'),
      ({ tokenHash }) => {
        for (const revoked of [...(this.byToken.get(tokenHash) ?? [])]) revoked();
        const userId = revokedUserOf(tokenHash);
        if (userId !== null) for (const changed of [...(this.byUser.get(userId) ?? [])]) changed();
      },
      (error) => {
        this.logger.warn({ err: error }, 'subscriptions stopped hearing of revocations; they check their tokens periodically');
        // The next watcher listens again.
        if (this.stop === stop) this.stop = null;
      },
    );
    return stop;
  }
}

function add(map: Map<string, Set<() => void>>, key: string, listener: () => void): () => void {
  let listeners = map.get(key);
  if (!listeners) {
    listeners = new Set();
    map.set(key, listeners);
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && map.get(key) === listeners) map.delete(key);
  };
}

/**
 * Ends every subscription whose token is revoked, with an UNAUTHENTICATED result. It hears the
 * `auth:revoked` channel (every replica, through Redis when configured) through one RevocationWatch: its
 * token's revocation ends it at once, and a change to its user (role, limits) makes it check the token
 * again. A periodic re-check covers replicas the channel does not reach. A check that fails (the database
 * is away) keeps the subscription: an outage is not a revocation.
 */
export function subscriptionRevocationPlugin(options: RevocationOptions): Plugin {
  const recheckMs = options.recheckMs ?? SUBSCRIPTION_RECHECK_MS;
  const watch = new RevocationWatch(options.pubsub, options.logger);
  return {
    onSubscribe({ args }) {
      const context = args.contextValue as unknown as Context & InitialContext;
      const viewer = context.viewer;
      const token = bearerToken(options.authorizationOf(context));
      if (!viewer || !token) return;
      const tokenHash = hashToken(token);
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          let revoke!: () => void;
          const revoked = new Promise<void>((resolve) => (revoke = resolve));
          const recheck = () => {
            context.services.auth.authenticate(`Bearer ${token}`).then(
              (authentication) => {
                if (authentication.viewer?.id !== viewer.id) revoke();
              },
              (error: unknown) => options.logger.warn({ err: error }, 'a subscription could not check its token again'),
            );
          };
          const unwatch = watch.watch(tokenHash, viewer.id, revoke, recheck);
          const timer = setInterval(recheck, recheckMs);
          timer.unref();
          setResult(
            untilRevoked(result as AsyncIterable<ExecutionResult>, revoked, () => {
              clearInterval(timer);
              unwatch();
            }),
          );
        },
      };
    },
  };
}
