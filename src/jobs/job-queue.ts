import { PgBoss } from 'pg-boss';
import { isDatabaseUnavailable } from '../errors.ts';
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
  /** Each queue's jobs by state, as pg-boss's monitor last counted them (one read of its small queue table; for metrics). */
  stateCounts(): Promise<{ queue: string; ready: number; deferred: number; active: number; failed: number }[]>;
  stop(): Promise<void>;
}

const OUTAGE_WARNING_EVERY_MS = 60_000;

/**
 * pg-boss reports each failed poll, heartbeat and maintenance pass. A database outage (or the pool cut at
 * shutdown) is a warning, at most once a minute, not an error per second; anything else is an error. Either
 * way only the error's name, code, message and stack are logged: pg's errors carry their client, whose
 * connection parameters (password included) would otherwise be serialized into the line.
 */
function queueErrorLogger(logger: Logger): (error: Error) => void {
  let warnedAt = -Infinity;
  return (error) => {
    const { name, message, stack } = error;
    const code = (error as { code?: unknown }).code;
    if (!isDatabaseUnavailable(error)) {
      logger.error({ err: { name, message, code, stack } }, 'job queue error');
      return;
    }
    const now = Date.now();
    if (now - warnedAt < OUTAGE_WARNING_EVERY_MS) return;
    warnedAt = now;
    logger.warn({ code, reason: message }, 'the job queue cannot reach the database; jobs wait until it is back');
  };
}

export async function startJobQueue(options: JobQueueOptions): Promise<JobQueue> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: 'pgboss',
    max: 4,
    monitorIntervalSeconds: options.monitorSeconds,
    superviseIntervalSeconds: options.monitorSeconds,
  });
  boss.on('error', queueErrorLogger(options.logger));
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
    async stateCounts() {
      const queues = await boss.getQueues([ANALYSIS_QUEUE, ANALYSIS_DEAD_LETTER_QUEUE]);
      return queues.map((queue) => ({ queue: queue.name, ready: queue.readyCount, deferred: queue.deferredCount, active: queue.activeCount, failed: queue.failedCount }));
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000, close: true });
    },
  };
}
