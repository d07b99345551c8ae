import { PgBoss } from 'pg-boss';
import type { Logger } from '../logger.ts';

// Durable jobs in the same PostgreSQL (pg-boss, in its own `pgboss` schema). A job whose worker dies stops
// sending heartbeats; pg-boss then retries it, and once retries run out it goes to the dead-letter queue,
// whose handler fails the run: no run stays RUNNING because a process was killed.

export const ANALYSIS_QUEUE = 'analysis';
export const ANALYSIS_DEAD_LETTER_QUEUE = 'analysis-dead';

export interface RunJob {
  runId: string;
}

export interface JobInfo {
  id: string;
  data: RunJob;
  /** 0 on the first attempt. */
  retryCount: number;
  retryLimit: number;
  signal: AbortSignal;
}

export interface JobQueueOptions {
  connectionString: string;
  logger: Logger;
  /** How long a worker may go silent before its job counts as lost (pg-boss minimum: 10). */
  heartbeatSeconds: number;
  /** How often lost jobs are looked for. */
  monitorSeconds: number;
  /** Attempts after the first one when a worker is lost. */
  retryLimit: number;
  /** Jobs one process runs at once. */
  concurrency: number;
}

export interface JobQueue {
  enqueue(job: RunJob): Promise<string>;
  cancel(jobId: string): Promise<void>;
  /** Starts taking jobs: `run` for each attempt, `dead` for a job whose attempts are exhausted. */
  work(run: (job: JobInfo) => Promise<void>, dead: (job: JobInfo) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export async function startJobQueue(options: JobQueueOptions): Promise<JobQueue> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: 'pgboss',
    max: 4,
    monitorIntervalSeconds: options.monitorSeconds,
    superviseIntervalSeconds: options.monitorSeconds,
  });
  boss.on('error', (error: Error) => options.logger.error({ err: error }, 'job queue error'));
  await boss.start();
  await boss.createQueue(ANALYSIS_DEAD_LETTER_QUEUE, { retryLimit: 3 });
  const policy = { retryLimit: options.retryLimit, retryDelay: 1, heartbeatSeconds: options.heartbeatSeconds, expireInSeconds: 3600 };
  await boss.createQueue(ANALYSIS_QUEUE, { ...policy, deadLetter: ANALYSIS_DEAD_LETTER_QUEUE });
  // createQueue leaves an existing queue as it was: apply this configuration to it.
  await boss.updateQueue(ANALYSIS_QUEUE, policy);

  const toInfo = (job: { id: string; data: RunJob; retryCount?: number; retryLimit?: number; signal: AbortSignal }): JobInfo => ({
    id: job.id,
    data: job.data,
    retryCount: job.retryCount ?? 0,
    retryLimit: job.retryLimit ?? options.retryLimit,
    signal: job.signal,
  });

  return {
    async enqueue(job) {
      const id = await boss.send(ANALYSIS_QUEUE, job);
      if (!id) throw new Error('The job queue refused the job.');
      return id;
    },
    async cancel(jobId) {
      await boss.cancel(ANALYSIS_QUEUE, jobId).catch(() => {});
    },
    async work(run, dead) {
      await boss.work<RunJob>(
        ANALYSIS_QUEUE,
        { localConcurrency: options.concurrency, pollingIntervalSeconds: 1, batchSize: 1 },
        async (jobs) => {
          for (const job of jobs) await run(toInfo(job));
        },
      );
      await boss.work<RunJob>(ANALYSIS_DEAD_LETTER_QUEUE, { pollingIntervalSeconds: 2, batchSize: 1 }, async (jobs) => {
        for (const job of jobs) await dead(toInfo(job));
      });
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000, close: true });
    },
  };
}
