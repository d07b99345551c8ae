import { type Actor, requireVisible } from '../auth/actor.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, badInput, notFound } from '../../errors.ts';
import type { AnalysisEventMessage, PubSub } from '../../events/pubsub.ts';
import type { JobQueue } from '../../jobs/job-queue.ts';
import type { ProviderKind } from '../../llm/types.ts';
import { isUuid } from '../../db/query.ts';
import { AnalysisEventSchema } from './analysis-event.entity.ts';
import { type AnalysisRun, AnalysisRunSchema, type RunKind, type RunStatus, TERMINAL_STATUSES } from './analysis-run.entity.ts';
import { runFeedsOf } from './run-feeds.ts';

export interface NewEvent {
  stage: string;
  message: string;
  /** Null: the run's progress as it stands (after this event's change). */
  progress: number | null;
  status: RunStatus;
  delta?: string | null;
}

export interface NewRun {
  kind: RunKind;
  provider?: ProviderKind | null;
  input: Record<string, unknown>;
  incidentId?: string | null;
  projectId?: string | null;
}

export const isTerminal = (status: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(status);

/** Run columns an event may move along with it (stage and progress, or a terminal state). */
export interface RunRowChange {
  stage?: string;
  progress?: number;
  status?: RunStatus;
  attempts?: number;
  startedAt?: Date;
  finishedAt?: Date;
  error?: string | null;
  result?: unknown;
}

const RUN_COLUMNS: Record<keyof RunRowChange, string> = {
  stage: 'stage',
  progress: 'progress',
  status: 'status',
  attempts: 'attempts',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  error: 'error',
  result: 'result',
};

/**
 * Appends one event with the run's next sequence number and moves the run row with it, in ONE statement:
 * the row is updated once (last_seq, updated_at and the given columns) and the event inserted from it.
 * Inside a transaction it belongs to that transaction; alone it is atomic by itself.
 */
export async function appendEvent(em: EntityManager, runId: string, event: NewEvent, change: RunRowChange = {}): Promise<AnalysisEventMessage> {
  const assignments: string[] = [];
  const values: unknown[] = [];
  for (const [field, value] of Object.entries(change) as [keyof RunRowChange, unknown][]) {
    if (value === undefined) continue;
    if (field === 'progress') {
      // Progress never goes back: a late delta cannot undo a later stage.
      assignments.push('progress = greatest(progress, ?)');
    } else {
      assignments.push(`${RUN_COLUMNS[field]} = ?${field === 'result' ? '::jsonb' : ''}`);
    }
    values.push(field === 'result' ? JSON.stringify(value) : field === 'progress' ? roundProgress(value as number) : value instanceof Date ? value.toISOString() : value);
  }
  const at = new Date();
  const delta = event.delta ?? null;
  const [row] = await em.execute<{ seq: number; progress: number }[]>(
    `with r as (
       update specs.analysis_runs set last_seq = last_seq + 1, updated_at = now()${assignments.map((assignment) => `, ${assignment}`).join('')}
       where id = ? returning id, last_seq, progress
     )
     insert into specs.analysis_events (run_id, seq, stage, message, progress, status, delta, at)
     select r.id, r.last_seq, ?, ?, ${event.progress === null ? 'r.progress' : '?'}, ?, ?, ? from r
     returning seq, progress`,
    [
      ...values,
      runId,
      event.stage,
      event.message,
      ...(event.progress === null ? [] : [roundProgress(event.progress)]),
      event.status,
      delta,
      at.toISOString(),
    ],
  );
  if (!row) throw notFound('The analysis run');
  return {
    runId,
    seq: row.seq,
    stage: event.stage,
    message: event.message,
    progress: Number(row.progress),
    status: event.status,
    delta,
    at: at.toISOString(),
  };
}

// Progress is stored (and so sent) to 4 decimals: 0.1571, not 0.15714999999999998.
const PROGRESS_DECIMALS = 4;
const roundProgress = (progress: number) => {
  const clamped = Math.min(Math.max(progress, 0), 1);
  return Math.round(clamped * 10 ** PROGRESS_DECIMALS) / 10 ** PROGRESS_DECIMALS;
};

export class AnalysisService {
  private readonly em: EntityManager;
  private readonly pubsub: PubSub;
  private readonly queue: JobQueue | null;

  constructor(em: EntityManager, pubsub: PubSub, queue: JobQueue | null) {
    this.em = em;
    this.pubsub = pubsub;
    this.queue = queue;
  }

  /** Inserts the run and its first event, then hands it to the job queue; returns at once. */
  async start(ownerId: string, request: NewRun): Promise<AnalysisRun> {
    if (!this.queue) throw new AppError('INTERNAL_SERVER_ERROR', 'This process runs no job queue.');
    const { run, event } = await this.em.transactional(async (em) => {
      const created = em.create(AnalysisRunSchema, {
        owner: ownerId,
        kind: request.kind,
        provider: request.provider ?? null,
        input: request.input,
        incident: request.incidentId ?? null,
        projectId: request.projectId ?? null,
        status: 'QUEUED',
        stage: 'queued',
        progress: 0,
        model: null,
        error: null,
        result: null,
        lastSeq: 0,
        attempts: 0,
        jobId: null,
        cancelRequestedAt: null,
        startedAt: null,
        finishedAt: null,
      });
      await em.flush();
      const first = await appendEvent(em, created.id, { stage: 'queued', message: 'Queued', progress: 0, status: 'QUEUED' });
      created.lastSeq = first.seq;
      return { run: created, event: first };
    });
    this.publish(event);
    try {
      run.jobId = await this.queue.enqueue({ runId: run.id });
      await this.em.nativeUpdate(AnalysisRunSchema, { id: run.id }, { jobId: run.jobId });
    } catch (error) {
      await this.finish(run.id, { status: 'FAILED', stage: 'failed', message: 'The job queue could not take the run.', error: 'queue unavailable' });
      throw error;
    }
    // What was written is what the run is: nothing to read back.
    return run;
  }

  /** A run the viewer may see (its owner, or an admin); anyone else's is NOT_FOUND. */
  async get(viewer: Actor, id: string): Promise<AnalysisRun> {
    const run = isUuid(id) ? await this.em.findOne(AnalysisRunSchema, { id }) : null;
    return requireVisible(viewer, run, 'The analysis run');
  }

  events(runId: string, afterSeq: number, limit = 1000): Promise<AnalysisEventMessage[]> {
    return this.em
      .find(AnalysisEventSchema, { run: runId, seq: { $gt: afterSeq } }, { orderBy: { seq: 'asc' }, limit })
      .then((rows) =>
        rows.map((row) => ({
          runId,
          seq: row.seq,
          stage: row.stage,
          message: row.message,
          progress: Number(row.progress),
          status: row.status,
          delta: row.delta ?? null,
          at: row.at.toISOString(),
        })),
      );
  }

  /** Writes a terminal state and its event in one transaction (no-op if already terminal); publishes after commit. */
  async finish(
    runId: string,
    outcome: { status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'; stage: string; message: string; error?: string | null; result?: unknown },
    within?: (em: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    const event = await this.em.fork().transactional(async (em) => {
      const [locked] = await em.execute<{ status: string }[]>('select status from specs.analysis_runs where id = ? for update', [runId]);
      if (!locked || isTerminal(locked.status)) return null;
      await within?.(em);
      return appendEvent(
        em,
        runId,
        { stage: outcome.stage, message: outcome.message, progress: null, status: outcome.status },
        {
          status: outcome.status,
          stage: outcome.stage,
          ...(outcome.status === 'SUCCEEDED' ? { progress: 1 } : {}),
          error: outcome.error ?? null,
          ...(outcome.result !== undefined ? { result: outcome.result } : {}),
          finishedAt: new Date(),
        },
      );
    });
    if (event) this.publish(event);
    return event !== null;
  }

  async cancel(viewer: Actor, id: string): Promise<AnalysisRun> {
    const run = await this.get(viewer, id);
    if (isTerminal(run.status)) return run;
    await this.em.nativeUpdate(AnalysisRunSchema, { id: run.id }, { cancelRequestedAt: new Date() });
    if (run.status === 'QUEUED') {
      // Not started: no worker holds it, so it is cancelled here and its job dropped.
      await this.finish(run.id, { status: 'CANCELLED', stage: 'cancelled', message: 'Cancelled before it started.' });
      if (run.jobId) await this.queue?.cancel(run.jobId);
    } else {
      // Whichever replica runs it aborts its provider call and records the cancellation.
      await this.pubsub.publish('analysis:cancel', run.id, { runId: run.id });
    }
    return this.em.findOneOrFail(AnalysisRunSchema, { id: run.id }, { refresh: true });
  }

  publish(event: AnalysisEventMessage): void {
    this.pubsub.publish('analysis:event', event.runId, event);
  }

  /**
   * Replays the stored events after `afterSeq`, then follows live ones, in order, without gap or duplicate,
   * and ends after the terminal event. Live events are taken from the pub/sub; a gap (a lost or reordered
   * message) is filled from the table, and a quiet spell triggers a look at the table too.
   */
  async *progress(viewer: Actor, runId: string, afterSeq: number | null | undefined, signal: AbortSignal): AsyncGenerator<AnalysisEventMessage> {
    if (afterSeq !== null && afterSeq !== undefined && afterSeq < 0) throw badInput('afterSeq must not be negative.', { field: 'afterSeq' });
    await this.get(viewer, runId);
    let last = afterSeq ?? 0;
    const pending: AnalysisEventMessage[] = [];
    const waiter: { wake: (() => void) | null } = { wake: null };
    // Listening starts before the table is read, so no event falls between the two.
    const unlisten = runFeedsOf(this.pubsub).listen(runId, (event) => {
      pending.push(event);
      waiter.wake?.();
    });
    const stopWaiting = () => waiter.wake?.();
    signal.addEventListener('abort', stopWaiting, { once: true });
    try {
      let fromTable = true;
      while (!signal.aborted) {
        if (fromTable) {
          for (const event of await this.events(runId, last)) {
            last = event.seq;
            yield event;
            if (isTerminal(event.status)) return;
          }
          // Asked to start after the terminal event (or at it): nothing more will ever come.
          const run = await this.em.fork().findOne(AnalysisRunSchema, { id: runId }, { fields: ['status', 'lastSeq'] });
          if (!run || (isTerminal(run.status) && last >= run.lastSeq)) return;
          fromTable = false;
        }
        while (pending.length > 0) {
          const event = pending.shift()!;
          if (event.seq <= last) continue;
          if (event.seq > last + 1) {
            fromTable = true;
            break;
          }
          last = event.seq;
          yield event;
          if (isTerminal(event.status)) return;
        }
        if (fromTable || pending.length > 0) continue;
        const quiet = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), QUIET_SPELL_MS);
          waiter.wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        waiter.wake = null;
        if (quiet) fromTable = true;
      }
    } finally {
      unlisten();
      signal.removeEventListener('abort', stopWaiting);
    }
  }
}

// How long a follower waits for a live event before checking the table itself.
const QUIET_SPELL_MS = 3000;
