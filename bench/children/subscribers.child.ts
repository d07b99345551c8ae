// Many graphql-ws subscribers in a process of their own (not in the gateway's, not in the bench's, where
// the fake provider must keep its timing), each on its own WebSocket, all following one analysis run.
// Receipt times are wall-clock (performance.timeOrigin + now(), sub-millisecond) to compare with the
// event's `at`, which the gateway stamps with its own wall clock on the same machine.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { serveParent } from '../support/child-process.ts';

const url = process.env.WS_URL!;
const token = process.env.TOKEN!;

interface Received {
  seq: number;
  at: number;
  receivedAt: number;
}
interface Subscriber {
  client: Client;
  received: Received[];
  state: 'open' | 'complete' | 'error';
  done: Promise<void>;
}

let clients: Client[] = [];
let subscribers: Subscriber[] = [];
const now = () => performance.timeOrigin + performance.now();

function deadlineOf(timeoutMs: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
}

async function connect(payload: unknown) {
  const { count, timeoutMs } = payload as { count: number; timeoutMs: number };
  const started = now();
  const deadline = deadlineOf(timeoutMs);
  let failed = 0;
  // In batches: a thousand simultaneous handshakes measure the accept queue, not the event path.
  for (let first = 0; first < count; first += 50) {
    const batch = Array.from({ length: Math.min(50, count - first) }, () => {
      const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${token}` } });
      clients.push(client);
      return new Promise<boolean>((resolve) => {
        client.on('connected', () => resolve(true));
        client.on('closed', () => resolve(false));
        client.on('error', () => resolve(false));
      });
    });
    const outcome = await Promise.race([Promise.all(batch), deadline]);
    if (outcome === 'timeout') throw new Error(`the subscribers did not all connect within ${timeoutMs} ms (${first} of ${count} were)`);
    failed += outcome.filter((ok) => !ok).length;
  }
  return { connected: clients.length - failed, failed, ms: now() - started };
}

async function subscribe(payload: unknown) {
  const { runId, query, timeoutMs } = payload as { runId: string; query: string; timeoutMs: number };
  const firstEvents: Promise<void>[] = [];
  subscribers = clients.map((client) => {
    const subscriber: Subscriber = { client, received: [], state: 'open', done: Promise.resolve() };
    const received = subscriber.received;
    let markFirst = () => {};
    firstEvents.push(new Promise<void>((resolve) => (markFirst = resolve)));
    subscriber.done = new Promise<void>((resolve) => {
      client.subscribe<{ analysisProgress: { seq: number; at: string } }>(
        { query, variables: { runId } },
        {
          next: (result) => {
            const receivedAt = now();
            const event = result.data?.analysisProgress;
            if (event) received.push({ seq: event.seq, at: Date.parse(event.at), receivedAt });
            markFirst();
          },
          error: () => {
            subscriber.state = 'error';
            markFirst();
            resolve();
          },
          complete: () => {
            subscriber.state = 'complete';
            resolve();
          },
        },
      );
    });
    return subscriber;
  });
  const outcome = await Promise.race([Promise.all(firstEvents), deadlineOf(timeoutMs)]);
  return { subscribed: subscribers.length, allReceivedFirst: outcome !== 'timeout' };
}

async function collect(payload: unknown) {
  const { since, timeoutMs } = payload as { since: number; timeoutMs: number };
  const outcome = await Promise.race([Promise.all(subscribers.map((subscriber) => subscriber.done)), deadlineOf(timeoutMs)]);
  const latencies: number[] = [];
  const bySeq = new Map<number, { seq: number; at: number; count: number; first: number; last: number }>();
  for (const subscriber of subscribers) {
    for (const event of subscriber.received) {
      if (event.at < since) continue;
      const latency = event.receivedAt - event.at;
      latencies.push(latency);
      const entry = bySeq.get(event.seq) ?? { seq: event.seq, at: event.at, count: 0, first: Infinity, last: -Infinity };
      entry.count += 1;
      entry.first = Math.min(entry.first, latency);
      entry.last = Math.max(entry.last, latency);
      bySeq.set(event.seq, entry);
    }
  }
  return {
    latencies,
    events: [...bySeq.values()].sort((a, b) => a.seq - b.seq),
    completed: subscribers.filter((subscriber) => subscriber.state === 'complete').length,
    errored: subscribers.filter((subscriber) => subscriber.state === 'error').length,
    timedOut: outcome === 'timeout',
    deliveries: subscribers.reduce((sum, subscriber) => sum + subscriber.received.length, 0),
  };
}

async function dispose() {
  await Promise.all(clients.map((client) => client.dispose()));
  clients = [];
  subscribers = [];
}

serveParent({}, { connect, subscribe, collect, dispose, stop: dispose });
