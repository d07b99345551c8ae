import type { EntityManager } from '@mikro-orm/postgresql';
import type { ProviderKind } from '../../llm/types.ts';
import type { Actor } from '../auth/actor.ts';
import type { AnalysisRun } from './analysis-run.entity.ts';
import { AnalysisRunSchema } from './analysis-run.entity.ts';
import { type AnalysisService, appendEvent } from './analysis.service.ts';

/** What an executor hands back: the result, and the writes that belong in the run's final transaction. */
export interface RunOutcome {
  result: unknown;
  message: string;
  save?: (em: EntityManager) => Promise<void>;
}

/**
 * A plug-in of the analysis engine: runs one kind of run, reporting through the context. It receives its
 * own narrow dependencies when it is made (see src/jobs/executors.ts), never the whole set of services.
 */
export type Executor = (context: RunContext) => Promise<RunOutcome>;

export class RunCancelled extends Error {
  override name = 'RunCancelled';
}

// Model text is stored and sent in pieces of about this size or age, not one event per token.
const DELTA_FLUSH_CHARS = 200;
const DELTA_FLUSH_MS = 100;

/** The handle an executor reports through: stages, progress and streamed model text, each one stored event. */
export class RunContext {
  readonly run: AnalysisRun;
  readonly em: EntityManager;
  readonly signal: AbortSignal;
  private readonly analysis: AnalysisService;
  private buffered = '';
  private bufferedSince = 0;
  private stage = 'running';
  private progressValue = 0;

  constructor(run: AnalysisRun, em: EntityManager, analysis: AnalysisService, signal: AbortSignal) {
    this.run = run;
    this.em = em;
    this.analysis = analysis;
    this.signal = signal;
  }

  get ownerId(): string {
    return this.run.owner.id;
  }

  /** The run acts for its owner, with a member's rights over the owner's own things. */
  get actor(): Actor {
    return { id: this.run.owner.id, role: 'MEMBER' };
  }

  /** Moves to a stage: one event, and the run row's stage and progress with it (one statement), then published. */
  async step(stage: string, message: string, progress: number): Promise<void> {
    this.throwIfCancelled();
    await this.flush();
    this.stage = stage;
    this.progressValue = Math.max(this.progressValue, progress);
    const event = await appendEvent(this.em.fork(), this.run.id, { stage, message, progress: this.progressValue, status: 'RUNNING' }, { stage, progress: this.progressValue });
    this.analysis.publish(event);
  }

  /** Records which provider and model serve the run. */
  async servedBy(provider: ProviderKind, model: string): Promise<void> {
    await this.em.fork().nativeUpdate(AnalysisRunSchema, { id: this.run.id }, { provider, model });
  }

  /** Model text as it arrives; `progress` grows as it streams. */
  async delta(text: string, progress: number): Promise<void> {
    if (!this.buffered) this.bufferedSince = Date.now();
    this.buffered += text;
    this.progressValue = Math.max(this.progressValue, Math.min(progress, 0.99));
    if (this.buffered.length >= DELTA_FLUSH_CHARS || Date.now() - this.bufferedSince >= DELTA_FLUSH_MS) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.buffered) return;
    const text = this.buffered;
    this.buffered = '';
    const event = await appendEvent(
      this.em.fork(),
      this.run.id,
      { stage: this.stage, message: 'Model output', progress: this.progressValue, status: 'RUNNING', delta: text },
      { progress: this.progressValue },
    );
    this.analysis.publish(event);
  }

  throwIfCancelled(): void {
    if (this.signal.aborted) throw new RunCancelled('The run was cancelled.');
  }
}
