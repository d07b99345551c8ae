// Group commit for the call ledger: the rows of calls that arrive while a statement of the same kind is
// on its way to PostgreSQL go together in the next one, one round trip and one commit for all of them.
// Nothing waits on a timer: alone, a row goes at once (in the statement it always had); under load, each
// row waits at most for the statement ahead of it. Every caller learns its own row's outcome: when a
// shared statement fails, its rows are written one by one, so one bad row fails only its own call.

interface Waiting<Row> {
  row: Row;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface RowBatcherOptions<Row> {
  /** Writes several rows in one statement. */
  many(rows: readonly Row[]): Promise<void>;
  /** Writes one row (alone, or when a shared statement failed). */
  one(row: Row): Promise<void>;
  /** The most rows one statement takes. */
  maxRows?: number;
  /** Told of each statement sent, with its number of rows (metrics, tests). */
  onFlush?: (rows: number) => void;
}

export class RowBatcher<Row> {
  private readonly options: RowBatcherOptions<Row>;
  private readonly maxRows: number;
  private queue: Waiting<Row>[] = [];
  private flushing = false;

  constructor(options: RowBatcherOptions<Row>) {
    this.options = options;
    this.maxRows = options.maxRows ?? 200;
  }

  /** Resolves once the row is committed (or rejects with why it was not). */
  add(row: Row): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (this.flushing) return;
      this.flushing = true;
      // The rows added in this same turn of the event loop go together.
      queueMicrotask(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxRows);
        this.options.onFlush?.(batch.length);
        if (batch.length === 1) {
          const [only] = batch as [Waiting<Row>];
          await this.options.one(only.row).then(only.resolve, only.reject);
          continue;
        }
        try {
          await this.options.many(batch.map((waiting) => waiting.row));
          for (const waiting of batch) waiting.resolve();
        } catch {
          await Promise.all(batch.map((waiting) => this.options.one(waiting.row).then(waiting.resolve, waiting.reject)));
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
