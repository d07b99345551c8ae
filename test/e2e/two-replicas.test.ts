import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../src/modules/auth/auth.service.ts';
import { AI_ANSWER, analyze, createIncident, readRun, waitForRun } from '../support/analysis.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { startGateway, type GatewayProcess } from '../support/gateway-process.ts';
import { waitFor } from '../support/process.ts';
import { redisAvailable, startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { collect, wsClient } from '../support/ws-client.ts';

// The topology of deploy/compose.yaml without Docker: two gateway processes on one PostgreSQL database and
// one Redis, addressed directly (the load balancer only spreads requests between them). Replica A serves
// requests only (WORKERS=false), as compose's agora-a; replica B also runs the jobs, as agora-b.

const PROGRESS = 'subscription($runId: ID!, $afterSeq: Int) { analysisProgress(runId: $runId, afterSeq: $afterSeq) { runId seq stage status delta progress } }';
type ProgressEvent = { data?: { analysisProgress: { seq: number; status: string; delta: string | null } } };
const seqs = (events: ProgressEvent[]) => events.map((event) => event.data!.analysisProgress.seq);
const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const codeOf = (response: { errors?: { extensions?: { code?: string } }[] }) => response.errors?.[0]?.extensions?.code;

/** A replica's environment: the database and Redis every replica shares, heartbeats as short as pg-boss allows. */
const replicaEnvironment = (workers: boolean) => ({
  DATABASE_URL: db.url,
  REDIS_URL: redis.url,
  WORKERS: String(workers),
  JOB_HEARTBEAT_SECONDS: '10',
  JOB_MONITOR_SECONDS: '1',
  JOB_RETRY_LIMIT: '1',
});

let fakes: FakeLlmServers;
let redis: TestRedis;
let db: TestDatabase;
let adminToken: string;
let a: GatewayProcess;
let b: GatewayProcess;
/** The test's own ear on Redis: every run event and revocation any replica publishes. */
let listener: Redis;
/** A second client for commands (one in subscriber mode cannot send them). */
let inspector: Redis;
const heard: { channel: string; message: string }[] = [];
const heardOn = (channel: string) => heard.filter((entry) => entry.channel === channel).map((entry) => JSON.parse(entry.message) as { seq?: number; tokenHash?: string });
/** How many clients subscribe to `channel` (PUBSUB NUMSUB: the test's pattern subscription is not one of them). */
const subscribersOf = async (channel: string) => ((await inspector.pubsub('NUMSUB', channel)) as [string, number])[1];

describe.skipIf(!redisAvailable('the two-replica test'))('two gateway processes on one PostgreSQL and one Redis', () => {
  beforeAll(async () => {
    [fakes, redis, db] = await Promise.all([startFakeLlmServers(), startTestRedis(), createTestDatabase()]);
    adminToken = (await new AuthService(db.orm.em.fork()).createUser({ email: 'operator@example.com', role: 'ADMIN' })).token;
    listener = new Redis(redis.url, { maxRetriesPerRequest: null });
    inspector = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    listener.on('pmessage', (_pattern, channel, message) => heard.push({ channel, message }));
    await listener.psubscribe('analysis:event:*', 'auth:revoked');
    [a, b] = await Promise.all([startGateway(replicaEnvironment(false), adminToken), startGateway(replicaEnvironment(true), adminToken)]);
    const configured = await a.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
      variables: { input: { name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-two-replicas', isActive: true } },
    });
    expect(configured.errors).toBeUndefined();
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    listener?.disconnect();
    inspector?.disconnect();
    await Promise.all([db?.drop(), redis?.stop(), fakes?.close()]);
  });

  it('streams a run that replica B executes to a subscriber on replica A, through Redis', async () => {
    fakes.reset();
    // Slow enough for the subscription to be seen on Redis while the answer streams.
    fakes.openai.script({ text: AI_ANSWER, deltas: AI_ANSWER.match(/.{1,20}/gs)!, delayMs: 1000, frameDelayMs: 100 });
    const run = await analyze(a, await createIncident(a, { title: 'replicated', severity: 'HIGH' }));
    const client = wsClient(a.wsUrl, adminToken);
    try {
      const following = collect<ProgressEvent>(client, PROGRESS, { runId: run.id });
      // Replica A listens for the run on Redis while its subscriber follows it (B publishes, never listens).
      const channel = `analysis:event:${run.id}`;
      await waitFor(async () => (await subscribersOf(channel)) > 0, 10_000, "replica A's Redis subscription to the run");
      const events = await following;

      expect(seqs(events)).toEqual(oneToN(events.length));
      expect(events.at(-1)?.data?.analysisProgress.status).toBe('SUCCEEDED');
      expect(events.map((event) => event.data?.analysisProgress.delta ?? '').join('')).toBe(AI_ANSWER);
      const done = await readRun(a, run.id);
      expect(done.status).toBe('SUCCEEDED');
      expect(events).toHaveLength(done.events.length);
      // Only B takes jobs, so B called the provider; every event crossed Redis, the first from A (which
      // created the run), the rest from B.
      expect(fakes.openai.requests).toHaveLength(1);
      expect(heardOn(channel).map((event) => event.seq)).toEqual(oneToN(done.events.length));
    } finally {
      await client.dispose();
    }
  });

  it('refuses on replica A a token revoked on replica B, at once through Redis', async () => {
    const member = await new AuthService(db.orm.em.fork()).createUser({ email: 'member@example.com', role: 'MEMBER' });
    const issued = await a.graphql<{ createAccessToken: { token: string; accessToken: { id: string } } }>('mutation { createAccessToken { token accessToken { id } } }', {
      token: member.token,
    });
    expect(issued.errors).toBeUndefined();
    const { token, accessToken } = issued.data!.createAccessToken;
    // Both replicas have served the token, so both hold it in their token caches.
    for (const replica of [a, b]) expect((await replica.graphql('{ me { email } }', { token })).data).toEqual({ me: { email: 'member@example.com' } });

    const revocationsBefore = heardOn('auth:revoked').length;
    const revoked = await b.graphql('mutation($id: ID!) { revokeAccessToken(id: $id) { id revokedAt } }', { variables: { id: accessToken.id }, token: member.token });
    expect(revoked.errors).toBeUndefined();
    expect(codeOf(await b.graphql('{ me { email } }', { token }))).toBe('UNAUTHENTICATED');
    // The revocation crossed Redis; A evicts the token when it hears it, long before its cache entry
    // would expire by itself (30 s).
    await waitFor(() => heardOn('auth:revoked').length > revocationsBefore, 5_000, 'the revocation on Redis');
    await waitFor(async () => codeOf(await a.graphql('{ me { email } }', { token })) === 'UNAUTHENTICATED', 5_000, 'replica A to refuse the revoked token');
    const refused = await a.graphql('{ me { email } }', { token });
    expect([refused.status, codeOf(refused), refused.data]).toEqual([200, 'UNAUTHENTICATED', null]);
    // The member's other token still works on A.
    expect((await a.graphql('{ me { email } }', { token: member.token })).errors).toBeUndefined();
  });

  it('finishes on replica A the run of replica B, SIGKILLed mid-call', async () => {
    fakes.reset();
    // B's provider call hangs after the first words, until B is gone.
    fakes.openai.script({ text: AI_ANSWER, midStream: { afterDeltas: 1, mode: 'stall' } });
    const run = await analyze(a, await createIncident(a, { title: 'replica crash', severity: 'CRITICAL' }));
    await waitForRun(a, run.id, (view) => view.stage === 'calling provider');
    await waitFor(() => fakes.openai.requests.length > 0, 10_000, "replica B's provider call");
    expect((await readRun(a, run.id)).status).toBe('RUNNING');

    await b.kill();
    fakes.openai.script({ midStream: null });
    // A takes jobs from now on (in compose, the restart policy would bring B back instead).
    expect(await a.stop()).toBe(0);
    a = await startGateway(replicaEnvironment(true), adminToken);

    // A subscriber on A follows the whole run, retry included, to its end.
    const client = wsClient(a.wsUrl, adminToken);
    let events: ProgressEvent[];
    try {
      events = await collect<ProgressEvent>(client, PROGRESS, { runId: run.id });
    } finally {
      await client.dispose();
    }
    const done = await readRun(a, run.id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.attempts).toBe(2);
    expect(done.events.some((event) => event.message.includes('retrying (attempt 2 of 2)'))).toBe(true);
    expect(done.events.map((event) => event.seq)).toEqual(oneToN(done.events.length));
    expect(seqs(events)).toEqual(oneToN(done.events.length));
    expect(events.at(-1)?.data?.analysisProgress.status).toBe('SUCCEEDED');
    // Two provider calls: B's, cut short by its death, and A's, which answered.
    expect(fakes.openai.requests).toHaveLength(2);
    expect(fakes.openai.clientDisconnects).toBeGreaterThanOrEqual(1);
  }, 180_000);
});
