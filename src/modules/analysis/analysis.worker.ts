import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../errors.ts';
import type { AppDeps } from '../../services.ts';
import { createServices, type Services } from '../../services.ts';
import type { JobInfo } from '../../jobs/job-queue.ts';
import { type AnalysisRun, AnalysisRunSchema, type RunKind } from './analysis-run.entity.ts';
import { AnalysisService, appendEvent, isTerminal } from './analysis.service.ts';
import { RunCancelled, RunContext, type RunOutcome } from './run-context.ts';

export type Executor = (context: RunContext, services: Services) => Promise<RunOutcome>;

/** Runs jobs from the queue: one executor per run kind, every outcome recorded on the run. */
export function createRunWorker(deps: AppDeps, executors: Partial<Record<RunKind, Executor>>) {
  const { logger } = deps;

  async function run(job: JobInfo): Promise<void> {
    const em = deps.orm.em.fork();
    const services = createServices(em, deps);
    const found = await em.findOne(AnalysisRunSchema, { id: job.data.runId });
    if (!found || isTerminal(found.status)) return;
    const attempt = job.retryCount + 1;
    if (found.cancelRequestedAt) {
      await services.analysis.finish(found.id, { status: 'CANCELLED', stage: 'cancelled', message: 'Cancelled before it started.' });
      return;
    }
    await markRunning(em, services.analysis, found, attempt, job.retryLimit + 1);

    const controller = new AbortController();
    const abortOnJobEnd = () => controller.abort(new RunCancelled('The worker is stopping.'));
    job.signal.addEventListener('abort', abortOnJobEnd, { once: true });
    const cancellations = deps.pubsub.subscribe('analysis:cancel', found.id)[Symbol.asyncIterator]();
    void cancellations.next().then((next) => {
      if (!next.done) controller.abort(new RunCancelled('Cancelled by request.'));
    });

    const executor = executors[found.kind];
    try {
      if (!executor) throw new AppError('INTERNAL_SERVER_ERROR', `No executor handles ${found.kind} runs.`);
      const context = new RunContext(found, em, services.analysis, controller.signal);
      const outcome = await executor(context, services);
      await context.flush();
      context.throwIfCancelled();
      await services.analysis.finish(found.id, { status: 'SUCCEEDED', stage: 'done', message: outcome.message, result: outcome.result }, outcome.save);
    } catch (error) {
      if (controller.signal.aborted || error instanceof RunCancelled) {
        const requested = (await em.fork().findOne(AnalysisRunSchema, { id: found.id }))?.cancelRequestedAt;
        if (requested) {
          await services.analysis.finish(found.id, { status: 'CANCELLED', stage: 'cancelled', message: 'Cancelled by request.' });
          return;
        }
        // The process is stopping: leave the run to the queue's retry on another worker.
        throw error;
      }
      const message = error instanceof AppError ? error.message : 'The analysis failed because of an internal error.';
      if (!(error instanceof AppError)) logger.error({ err: error, runId: found.id }, 'analysis failed');
      await services.analysis.finish(found.id, { status: 'FAILED', stage: 'failed', message, error: message });
    } finally {
      job.signal.removeEventListener('abort', abortOnJobEnd);
      await cancellations.return?.();
    }
  }

  /** A job whose attempts ran out (its workers kept dying): the run fails, saying so. */
  async function dead(job: JobInfo): Promise<void> {
    const em = deps.orm.em.fork();
    const analysis = createServices(em, deps).analysis;
    await analysis.finish(job.data.runId, {
      status: 'FAILED',
      stage: 'failed',
      message: 'The worker running this analysis stopped and every retry was used; the run has failed.',
      error: 'worker lost',
    });
  }

  return { run, dead };
}

async function markRunning(em: EntityManager, analysis: AnalysisService, run: AnalysisRun, attempt: number, attempts: number) {
  const event = await em.fork().transactional(async (tx) => {
    await tx.nativeUpdate(AnalysisRunSchema, { id: run.id }, { status: 'RUNNING', attempts: attempt, startedAt: run.startedAt ?? new Date(), stage: 'started' });
    return appendEvent(tx, run.id, {
      stage: 'started',
      message:
        attempt === 1
          ? 'Started'
          : `The worker running this analysis stopped; retrying (attempt ${attempt} of ${attempts}).`,
      progress: 0.01,
      status: 'RUNNING',
    });
  });
  analysis.publish(event);
}
