import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AI_ANSWER, analyze, createIncident, finished, waitForRun } from '../support/analysis.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { collect, wsClient } from '../support/ws-client.ts';
import { runFeedsOf } from '../../src/modules/analysis/run-feeds.ts';
import { waitFor } from '../support/process.ts';
import { redisTest } from '../support/redis.ts';

let t: TestApp;
let fakes: FakeLlmServers;
let wsUrl: string;

beforeAll(async () => {
  [t, fakes] = await Promise.all([createTestApp(), startFakeLlmServers()]);
  wsUrl = `ws://127.0.0.1:${await t.app.start(0, '127.0.0.1')}/graphql`;
  await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
    variables: { input: { name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-progress', isActive: true } },
  });
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(() => {
  fakes.reset();
  // Slow enough that a subscriber joins while the run streams.
  fakes.openai.script({ text: AI_ANSWER, deltas: AI_ANSWER.match(/.{1,20}/gs)!, frameDelayMs: 20 });
});

const PROGRESS = 'subscription($runId: ID!, $afterSeq: Int) { analysisProgress(runId: $runId, afterSeq: $afterSeq) { runId seq stage status delta progress at } }';
type Event = { data?: { analysisProgress: { seq: number; status: string; delta: string | null } } };
const seqs = (events: Event[]) => events.map((event) => event.data!.analysisProgress.seq);
const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function follow(runId: string, afterSeq?: number, token = t.adminToken): Promise<Event[]> {
  const client = wsClient(wsUrl, token);
  try {
    return await collect<Event>(client, PROGRESS, { runId, afterSeq });
  } finally {
    await client.dispose();
  }
}

describe('analysisProgress', () => {
  it('follows a run from the start to its terminal event, no gap and no duplicate', async () => {
    const run = await analyze(t, await createIncident(t, { title: 'disk full on db-1', severity: 'HIGH' }));
    const events = await follow(run.id);
    expect(seqs(events)).toEqual(oneToN(events.length));
    expect(events.at(-1)?.data?.analysisProgress.status).toBe('SUCCEEDED');
    expect(events.map((event) => event.data?.analysisProgress.delta ?? '').join('')).toBe(AI_ANSWER);
  });

  it('lets clients join late and reconnect: afterSeq before, during and after the run', async () => {
    const run = await analyze(t, await createIncident(t, { title: 'cpu throttling', severity: 'MEDIUM' }));
    const [whole, fromThree] = await Promise.all([follow(run.id), follow(run.id, 3)]);
    expect(seqs(fromThree)).toEqual(seqs(whole).filter((seq) => seq > 3));
    const done = await waitForRun(t, run.id, finished);
    const total = done.events.length;
    expect(seqs(whole)).toEqual(oneToN(total));
    // After the run: a replay of what is stored, then completion.
    expect(seqs(await follow(run.id))).toEqual(oneToN(total));
    expect(seqs(await follow(run.id, total - 2))).toEqual([total - 1, total]);
    expect(await follow(run.id, total)).toEqual([]);
  });

  it('serves many concurrent followers the same complete sequence', async () => {
    const run = await analyze(t, await createIncident(t, { title: '5xx spike', severity: 'CRITICAL' }));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => follow(run.id, i % 3 === 0 ? undefined : i % 5)));
    const total = (await waitForRun(t, run.id, finished)).events.length;
    results.forEach((events, i) => {
      const from = i % 3 === 0 ? 0 : i % 5;
      expect(seqs(events)).toEqual(oneToN(total).filter((seq) => seq > from));
    });
  });

  it('lets followers leave mid-run without leaving a subscription behind', async () => {
    const feeds = runFeedsOf(t.runtime.deps.pubsub);
    const run = await analyze(t, await createIncident(t, { title: 'leaving early', severity: 'HIGH' }));
    const clients = Array.from({ length: 5 }, () => wsClient(wsUrl, t.adminToken));
    try {
      const seen = await Promise.all(
        clients.map(async (client) => {
          const events: Event[] = [];
          for await (const event of client.iterate<Event>({ query: PROGRESS, variables: { runId: run.id } })) {
            events.push(event as Event);
            if (events.length === 2) break;
          }
          return events;
        }),
      );
      expect(seen.map(seqs)).toEqual(Array(5).fill([1, 2]));
      await waitFor(async () => feeds.openFeeds === 0, 5_000, 'the run feed to close after its last follower left');
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
    await waitForRun(t, run.id, finished);
  });

  it('streams over SSE too', async () => {
    const run = await analyze(t, await createIncident(t, { title: 'latency p99 high', severity: 'LOW' }));
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query: PROGRESS, variables: { runId: run.id } }),
    });
    const events = (await response.text())
      .split('\n\n')
      .filter((block) => block.startsWith('event: next'))
      .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Event);
    expect(seqs(events)).toEqual(oneToN(events.length));
    expect(events.at(-1)?.data?.analysisProgress.status).toBe('SUCCEEDED');
  });

  it('is refused to anyone but the owner and admins (NOT_FOUND)', async () => {
    const owner = await t.createUser('progress-owner@example.com');
    const stranger = await t.createUser('progress-stranger@example.com');
    const run = await analyze(t, await createIncident(t, { title: 'mine', severity: 'LOW' }, owner.token), { token: owner.token });
    const refused = await follow(run.id, undefined, stranger.token).catch((errors: unknown) => errors);
    expect(JSON.stringify(refused)).toContain('NOT_FOUND');
    const mine = await follow(run.id, undefined, owner.token);
    expect(seqs(mine)).toEqual(oneToN(mine.length));
    expect(mine.length).toBeGreaterThan(1);
    expect(mine.at(-1)?.data?.analysisProgress.status).toBe('SUCCEEDED');
    // An admin (not the owner) follows it too: the whole stored sequence.
    expect(seqs(await follow(run.id, undefined, t.adminToken))).toEqual(oneToN(mine.length));
  });
});

describe('two replicas', () => {
  it('delivers every event to a subscriber on one replica while another runs the job', async () => {
    // Replica B takes no jobs; A (t) runs them. Neither has REDIS_URL here, so B's pub/sub never hears A's
    // events: B serves them from the table. The test below runs them through Redis.
    const replica = await createTestApp({ WORKERS: 'false' }, { database: t.db });
    try {
      const port = await replica.app.start(0, '127.0.0.1');
      const run = await analyze(replica, await createIncident(replica, { title: 'replicated', severity: 'HIGH' }));
      const client = wsClient(`ws://127.0.0.1:${port}/graphql`, replica.adminToken);
      const events = await collect<Event>(client, PROGRESS, { runId: run.id });
      await client.dispose();
      expect(seqs(events)).toEqual(oneToN(events.length));
      expect(events.at(-1)?.data?.analysisProgress.status).toBe('SUCCEEDED');
      expect(events.map((event) => event.data?.analysisProgress.delta ?? '').join('')).toBe(AI_ANSWER);
    } finally {
      await replica.close();
    }
  });

  redisTest('delivers every event through Redis to a subscriber on one replica while another runs the job', async (redisUrl) => {
    // A fresh database, so that only `worker` takes its jobs (t's workers watch t's database); B takes none.
    const worker = await createTestApp({ REDIS_URL: redisUrl });
    const replica = await createTestApp({ REDIS_URL: redisUrl, WORKERS: 'false' }, { database: worker.db });
    try {
      const configured = await worker.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
        variables: { input: { name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-progress', isActive: true } },
      });
      expect(configured.errors).toBeUndefined();
      const port = await replica.app.start(0, '127.0.0.1');
      const run = await analyze(replica, await createIncident(replica, { title: 'replicated through Redis', severity: 'HIGH' }));
      // What B's own pub/sub hears of the run: only what reached it through Redis, since A publishes it all.
      const heard: number[] = [];
      const stopHearing = runFeedsOf(replica.runtime.deps.pubsub).listen(run.id, (event) => heard.push(event.seq));
      const client = wsClient(`ws://127.0.0.1:${port}/graphql`, replica.adminToken);
      let events: Event[];
      try {
        events = await collect<Event>(client, PROGRESS, { runId: run.id });
      } finally {
        await client.dispose();
        stopHearing();
      }
      expect(seqs(events)).toEqual(oneToN(events.length));
      expect(events.at(-1)?.data?.analysisProgress.status).toBe('SUCCEEDED');
      expect(events.map((event) => event.data?.analysisProgress.delta ?? '').join('')).toBe(AI_ANSWER);
      const done = await waitForRun(replica, run.id, finished);
      expect(done.status).toBe('SUCCEEDED');
      expect(events).toHaveLength(done.events.length);
      // B heard A's events live, in order and up to the terminal one (those published before its Redis
      // subscription took may be missing at the start): they did travel through Redis.
      expect(heard.length).toBeGreaterThan(1);
      expect(heard).toEqual(oneToN(done.events.length).slice(heard[0]! - 1));
    } finally {
      await replica.close();
      await worker.close();
    }
  });
});
