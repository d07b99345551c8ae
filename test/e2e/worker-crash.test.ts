import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AI_ANSWER, analyze, createIncident, finished, waitForRun } from '../support/analysis.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { freePort } from '../support/ports.ts';
import { startNode, waitFor } from '../support/process.ts';
import { TEST_MASTER_KEY } from '../support/app.ts';

// A worker process killed with SIGKILL mid-run: the queue notices the missing heartbeats and retries the
// job on a live worker, or fails the run once retries are used up. No run stays RUNNING.
let fakes: FakeLlmServers;
beforeAll(async () => {
  fakes = await startFakeLlmServers();
});
afterAll(async () => {
  await fakes.close();
});

async function killWorkerMidRun(retryLimit: number) {
  // The front replica takes no jobs, so the child process is the only worker.
  const front = await createTestApp({ WORKERS: 'false', JOB_RETRY_LIMIT: String(retryLimit) });
  await front.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
    variables: { input: { name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-crash', isActive: true } },
  });
  fakes.reset();
  fakes.openai.script({ text: AI_ANSWER, midStream: { afterDeltas: 1, mode: 'stall' } });
  const worker = startNode('src/main.ts', {
    DATABASE_URL: front.db.url,
    PORT: String(await freePort()),
    NODE_ENV: 'test',
    BOOTSTRAP_ADMIN: 'false',
    AGORA_ENCRYPTION_KEY: TEST_MASTER_KEY,
    JOB_HEARTBEAT_SECONDS: '10',
    JOB_MONITOR_SECONDS: '1',
    JOB_RETRY_LIMIT: String(retryLimit),
  });
  await waitFor(() => worker.output().includes('Agora is listening'), 60_000, 'the worker process');
  const run = await analyze(front, await createIncident(front, { title: 'crash test', severity: 'HIGH' }));
  await waitForRun(front, run.id, (view) => view.stage === 'calling provider');
  await waitFor(() => fakes.openai.requests.length > 0, 10_000, 'the provider call');
  worker.child.kill('SIGKILL');
  await new Promise((resolve) => worker.child.once('exit', resolve));
  return { front, runId: run.id };
}

describe('a worker killed mid-run', () => {
  it('is retried on a live worker, and the run says so', async () => {
    const { front, runId } = await killWorkerMidRun(1);
    fakes.openai.script({ text: AI_ANSWER, midStream: null });
    const rescuer = await createTestApp({ JOB_RETRY_LIMIT: '1' }, { database: front.db });
    try {
      const done = await waitForRun(front, runId, finished, 60_000);
      expect(done.status).toBe('SUCCEEDED');
      expect(done.attempts).toBe(2);
      expect(done.events.some((event) => event.message.includes('retrying (attempt 2 of 2)'))).toBe(true);
      expect(done.events.map((event) => event.seq)).toEqual(done.events.map((_, i) => i + 1));
    } finally {
      await rescuer.close();
      await front.close();
    }
  }, 120_000);

  it('fails the run once every retry is used', async () => {
    const { front, runId } = await killWorkerMidRun(0);
    const rescuer = await createTestApp({ JOB_RETRY_LIMIT: '0' }, { database: front.db });
    try {
      const done = await waitForRun(front, runId, finished, 60_000);
      expect(done.status).toBe('FAILED');
      expect(done.events.at(-1)?.message).toMatch(/stopped and every retry was used/);
    } finally {
      await rescuer.close();
      await front.close();
    }
  }, 120_000);
});
