// Group commit for the call ledger: the rows of calls that arrive while a statement of the same kind is
// on its way to PostgreSQL go together in the next one, one round trip and one commit for all of them.
// Nothing waits on a timer: alone, a row goes at once (in the statement it always had); under load, each
// row waits at most for the statement ahead of it. Every caller learns its own row's outcome: when a
// shared statement fails, its rows are written one by one, so one bad row fails only its own call.

interface Waiting<Row, Result> {
  row: Row;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export interface RowBatcherOptions<Row, Result> {
  /** Writes several rows in one statement; resolves with each row's result, in the rows' order. */
  many(rows: readonly Row[]): Promise<readonly Result[]>;
  /** Writes one row (alone, or when a shared statement failed). */
  one(row: Row): Promise<Result>;
  /** The most rows one statement takes. */
  maxRows?: number;
  /** Told of each statement sent, with its number of rows (metrics, tests). */
  onFlush?: (rows: number) => void;
}

export class RowBatcher<Row, Result = void> {
  private readonly options: RowBatcherOptions<Row, Result>;
  private readonly maxRows: number;
  private queue: Waiting<Row, Result>[] = [];
  private flushing = false;

  constructor(options: RowBatcherOptions<Row, Result>) {
    this.options = options;
    this.maxRows = options.maxRows ?? 200;
  }

  /** Resolves with the row's result once it is committed (or rejects with why it was not). */
  add(row: Row): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
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
          const [only] = batch as [Waiting<Row, Result>];
          await this.options.one(only.row).then(only.resolve, only.reject);
          continue;
        }
        let results: readonly Result[];
        try {
          results = await this.options.many(batch.map((waiting) => waiting.row));
        } catch {
          await Promise.all(batch.map((waiting) => this.options.one(waiting.row).then(waiting.resolve, waiting.reject)));
          continue;
        }
        batch.forEach((waiting, index) => waiting.resolve(results[index]!));
      }
    } finally {
      this.flushing = false;
    }
  }
}
