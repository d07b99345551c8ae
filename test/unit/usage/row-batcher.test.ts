import { describe, expect, it } from 'vitest';
import { RowBatcher } from '../../../src/modules/usage/row-batcher.ts';

/** A batcher whose statements are recorded, each held open until released (to queue rows behind it). */
function recorded(fail: (rows: readonly number[]) => boolean = () => false) {
  const statements: number[][] = [];
  const gates: (() => void)[] = [];
  let hold = false;
  // Each row's result names the row and the statement that wrote it.
  const send = async (rows: number[]) => {
    statements.push(rows);
    if (hold) await new Promise<void>((resolve) => gates.push(resolve));
    if (fail(rows)) throw new Error(`refused ${rows.join(',')}`);
    return rows.map((row) => `${row} in ${rows.join('+')}`);
  };
  const batcher = new RowBatcher<number, string>({ one: async (row) => (await send([row]))[0]!, many: (rows) => send([...rows]), maxRows: 3 });
  return { batcher, statements, hold: (on: boolean) => (hold = on), release: () => gates.splice(0).forEach((open) => open()) };
}

describe('RowBatcher (group commit of the call ledger)', () => {
  it('sends a row alone at once, in its own statement', async () => {
    const { batcher, statements } = recorded();
    expect(await batcher.add(1)).toBe('1 in 1');
    expect(await batcher.add(2)).toBe('2 in 2');
    expect(statements).toEqual([[1], [2]]);
  });

  it('sends the rows added in one turn together, and those that arrive while a statement is out in the next, at most maxRows each', async () => {
    const { batcher, statements, hold, release } = recorded();
    hold(true);
    const first = [batcher.add(1), batcher.add(2)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(statements).toEqual([[1, 2]]);
    const queued = [3, 4, 5, 6].map((row) => batcher.add(row));
    hold(false);
    release();
    // Each caller gets its own row's result from the shared statement.
    expect(await Promise.all([...first, ...queued])).toEqual(['1 in 1+2', '2 in 1+2', '3 in 3+4+5', '4 in 3+4+5', '5 in 3+4+5', '6 in 6']);
    expect(statements).toEqual([[1, 2], [3, 4, 5], [6]]);
  });

  it('tells each caller its own outcome: a shared statement that fails is retried row by row', async () => {
    const { batcher, statements } = recorded((rows) => rows.includes(2));
    const outcomes = await Promise.allSettled([1, 2, 3].map((row) => batcher.add(row)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[0] as PromiseFulfilledResult<string>).value).toBe('1 in 1');
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('refused 2'));
    expect(statements).toEqual([[1, 2, 3], [1], [2], [3]]);
    // And it keeps working afterwards.
    await batcher.add(4);
    expect(statements.at(-1)).toEqual([4]);
  });
});
