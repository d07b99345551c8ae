// Graceful shutdown of the calls in flight: a stopping process lets them finish for a grace period
// (SHUTDOWN_GRACE_SECONDS), then ends each one, so every stream gets a terminal event and every call its
// usage row before the process exits. New calls are refused while it drains.
import { AppError } from '../../errors.ts';

/** Why a call's controller was aborted: its process is shutting down. */
export class ShuttingDown extends Error {
  constructor() {
    super('The gateway is shutting down.');
  }
}

export class CallDrain {
  private readonly controller = new AbortController();
  private active = 0;
  private draining = false;
  private idle: (() => void)[] = [];

  /** Aborted when the grace period is over: every call still running ends. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** How many calls are in flight. */
  get inFlight(): number {
    return this.active;
  }

  /** A call begins; the returned function ends it. Refused (SERVICE_UNAVAILABLE) once draining began. */
  enter(): () => void {
    if (this.draining) throw shuttingDownError();
    this.active += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.active -= 1;
      if (this.active === 0) for (const wake of this.idle.splice(0)) wake();
    };
  }

  /**
   * Refuses new calls, waits up to `graceMs` for the running ones, then ends those still running and waits
   * up to `settleMs` more for them to write their usage rows and terminal events.
   */
  async drain(graceMs: number, settleMs = 5_000): Promise<{ finished: boolean; ended: number }> {
    this.draining = true;
    if (await this.idleWithin(graceMs)) return { finished: true, ended: 0 };
    const ended = this.active;
    this.controller.abort(new ShuttingDown());
    await this.idleWithin(settleMs);
    return { finished: false, ended };
  }

  private idleWithin(ms: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idle = this.idle.filter((wake) => wake !== done);
        resolve(false);
      }, ms);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idle.push(done);
    });
  }
}

/** What a call refused or ended by a shutdown answers: retry it (another replica, or this one restarted). */
export function shuttingDownError(): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'The gateway is shutting down: retry the call.');
}
