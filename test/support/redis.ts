import { Redis } from 'ioredis';
import { it, type TestContext } from 'vitest';
import { redisAvailable, startTestRedis } from './redis-server.ts';

/** The Redis the Redis tests use: REDIS_URL when set (an empty value means unset, as the config reads it). */
export const REDIS_URL: string | undefined = process.env.REDIS_URL || undefined;

/** A URL fit for a failure message: its password, if any, masked. */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return JSON.stringify(url);
  }
}

/**
 * Fails, with a message that says what to do, unless the Redis at `url` answers PING within `timeoutMs`:
 * one connection attempt, no retries, no offline queue, so a Redis that is down fails fast instead of
 * hanging the test (ioredis would otherwise retry for ever).
 */
export async function expectRedisAnswers(url: string, timeoutMs = 2_000): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    enableOfflineQueue: false,
  });
  // The socket's own error (ECONNREFUSED, ETIMEDOUT…) says more than the "Connection is closed." connect()
  // rejects with; listening also keeps ioredis from printing it as unhandled.
  let socketError: Error | undefined;
  client.on('error', (error: Error) => (socketError ??= error));
  try {
    await client.connect();
    const reply = await client.ping();
    if (reply !== 'PONG') throw new Error(`PING answered ${JSON.stringify(reply)}`);
  } catch (error) {
    const reason = [socketError?.message, (error as Error).message].filter((message, i, all) => message && all.indexOf(message) === i).join('; ');
    throw new Error(
      `REDIS_URL is set but Redis at ${shown(url)} does not answer (${reason}). ` +
        'Start Redis there, or unset REDIS_URL to skip the tests that need it.',
    );
  } finally {
    client.disconnect();
  }
}

/**
 * A test that needs Redis: REDIS_URL when set (it must answer, or the test fails loudly), else a
 * redis-server of the test's own on a free port (test/support/redis-server.ts), stopped after it. Skipped,
 * saying so, only when neither is at hand; under CI=true that fails instead.
 */
export function redisTest(name: string, fn: (redisUrl: string, context: TestContext) => Promise<void>, timeoutMs?: number): void {
  it.skipIf(!redisAvailable(name))(
    name,
    async (context) => {
      const redis = await startTestRedis();
      try {
        await fn(redis.url, context);
      } finally {
        await redis.stop();
      }
    },
    timeoutMs,
  );
}
