// The analysis engine's worker: takes run jobs from the queue, hands each to the executor of its kind,
// and records every outcome on the run (succeeded, failed, cancelled, or left to the queue's retry).
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { AppError } from '../errors.ts';
import type { PubSub } from '../events/pubsub.ts';
import type { Logger } from '../logger.ts';
import { type AnalysisRun, AnalysisRunSchema, type RunKind } from '../modules/analysis/analysis-run.entity.ts';
import { AnalysisService, appendEvent, isTerminal } from '../modules/analysis/analysis.service.ts';
import { type Executor, RunCancelled, RunContext } from '../modules/analysis/run-context.ts';
import { traceJob } from '../observability/job-span.ts';
import { ANALYSIS_QUEUE, type JobInfo, type JobQueue } from './job-queue.ts';

/** Makes the executor of a run kind for one job, bound to that job's EntityManager. */
export type ExecutorRegistry = Partial<Record<RunKind, (em: EntityManager) => Executor>>;

export interface RunWorkerDeps {
  orm: MikroORM;
  pubsub: PubSub;
  logger: Logger;
  queue: JobQueue | null;
}

export function createRunWorker(deps: RunWorkerDeps, executors: ExecutorRegistry) {
  const { logger } = deps;
  const analysisOf = (em: EntityManager) => new AnalysisService(em, deps.pubsub, deps.queue);

  async function run(job: JobInfo): Promise<void> {
    const em = deps.orm.em.fork();
    const analysis = analysisOf(em);
    const found = await em.findOne(AnalysisRunSchema, { id: job.data.runId });
    if (!found || isTerminal(found.status)) return;
    const attempt = job.retryCount + 1;
    if (found.cancelRequestedAt) {
      await analysis.finish(found.id, { status: 'CANCELLED', stage: 'cancelled', message: 'Cancelled before it started.' });
      return;
    }
    await markRunning(em, analysis, found, attempt, job.retryLimit + 1);

    const controller = new AbortController();
    const abortOnJobEnd = () => controller.abort(new RunCancelled('The worker is stopping.'));
    job.signal.addEventListener('abort', abortOnJobEnd, { once: true });
    const cancellations = deps.pubsub.subscribe('analysis:cancel', found.id)[Symbol.asyncIterator]();
    void cancellations.next().then((next) => {
      if (!next.done) controller.abort(new RunCancelled('Cancelled by request.'));
    });

    const makeExecutor = executors[found.kind];
    try {
      if (!makeExecutor) throw new AppError('INTERNAL_SERVER_ERROR', `No executor handles ${found.kind} runs.`);
      const context = new RunContext(found, em, analysis, controller.signal);
      const outcome = await makeExecutor(em)(context);
      await context.flush();
      context.throwIfCancelled();
      await analysis.finish(found.id, { status: 'SUCCEEDED', stage: 'done', message: outcome.message, result: outcome.result }, outcome.save);
    } catch (error) {
      if (controller.signal.aborted || error instanceof RunCancelled) {
        const requested = (await em.fork().findOne(AnalysisRunSchema, { id: found.id }))?.cancelRequestedAt;
        if (requested) {
          await analysis.finish(found.id, { status: 'CANCELLED', stage: 'cancelled', message: 'Cancelled by request.' });
          return;
        }
        // The process is stopping: leave the run to the queue's retry on another worker.
        throw error;
      }
      const message = error instanceof AppError ? error.message : 'The analysis failed because of an internal error.';
      if (!(error instanceof AppError)) logger.error({ err: error, runId: found.id }, 'analysis failed');
      await analysis.finish(found.id, { status: 'FAILED', stage: 'failed', message, error: message });
    } finally {
      job.signal.removeEventListener('abort', abortOnJobEnd);
      await cancellations.return?.();
    }
  }

  /** A job whose attempts ran out (its workers kept dying): the run fails, saying so. */
  async function dead(job: JobInfo): Promise<void> {
    await analysisOf(deps.orm.em.fork()).finish(job.data.runId, {
      status: 'FAILED',
      stage: 'failed',
      message: 'The worker running this analysis stopped and every retry was used; the run has failed.',
      error: 'worker lost',
    });
  }

  // With tracing on, each job is a span, and what it runs (SQL, provider attempts) nests under it.
  return { run: (job: JobInfo) => traceJob(ANALYSIS_QUEUE, job, () => run(job)), dead };
}

async function markRunning(em: EntityManager, analysis: AnalysisService, run: AnalysisRun, attempt: number, attempts: number) {
  const event = await appendEvent(
    em.fork(),
    run.id,
    {
      stage: 'started',
      message: attempt === 1 ? 'Started' : `The worker running this analysis stopped; retrying (attempt ${attempt} of ${attempts}).`,
      progress: 0.01,
      status: 'RUNNING',
    },
    { status: 'RUNNING', attempts: attempt, startedAt: run.startedAt ?? new Date(), stage: 'started' },
  );
  analysis.publish(event);
}
