// A Redis for tests that cannot do without one: REDIS_URL when set (it must answer), else a redis-server
// of the test's own on a free port. With neither, the test is skipped with a loud warning, or fails at
// once under CI=true (as browser.ts does for Chromium): never a silent skip.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './ports.ts';
import { waitFor } from './process.ts';
import { expectRedisAnswers, REDIS_URL } from './redis.ts';

export interface TestRedis {
  url: string;
  /** Stops the redis-server this test started (a REDIS_URL server is left alone). */
  stop(): Promise<void>;
}

/** Whether `what` can have a Redis; when it cannot, a warning naming it, or an error under CI=true. */
export function redisAvailable(what: string): boolean {
  return REDIS_URL !== undefined || redisServerInstalled(what, 'REDIS_URL is unset and redis-server is not installed');
}

/**
 * Whether redis-server is installed, for `what` that must run one of its own (stop it, restart it); when
 * it is not, a warning naming it, or an error under CI=true: never a silent skip.
 */
export function redisServerInstalled(what: string, why = 'redis-server is not installed'): boolean {
  if (spawnSync('redis-server', ['--version']).status === 0) return true;
  const message = `No Redis: ${why}, so ${what} cannot run (apt-get install redis-server${why.includes('REDIS_URL') ? ', or set REDIS_URL' : ''}).`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n!!! SKIPPED: ${message}\n`);
  return false;
}

export async function startTestRedis(): Promise<TestRedis> {
  if (REDIS_URL !== undefined) {
    await expectRedisAnswers(REDIS_URL);
    return { url: REDIS_URL, stop: async () => {} };
  }
  const port = await freePort();
  const server: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(
    () =>
      expectRedisAnswers(url, 500).then(
        () => true,
        () => false,
      ),
    10_000,
    'redis-server to answer',
  );
  return {
    url,
    async stop() {
      if (server.exitCode !== null || server.signalCode !== null) return;
      const exited = once(server, 'exit');
      server.kill('SIGTERM');
      await exited;
    },
  };
}
