// A guard for the pg pool under MikroORM's kysely driver (kysely 0.29, kysely-org/kysely#1990): a
// transaction whose BEGIN, COMMIT or ROLLBACK fails on a dead connection never releases it, so after
// DATABASE_POOL_MAX such transactions (a database outage cutting mutations) every request waits for ever
// and the pool cannot close. A connection that ends while checked out is handed back here, with an error
// so that pg-pool drops it; its holder's own later release is then a no-op.
import type { Pool, PoolClient } from 'pg';

export function releaseDeadConnections(pool: Pool): void {
  pool.on('connect', (client: PoolClient) => {
    let poolRelease: ((error?: Error | boolean) => void) | null = null;
    const release = (error?: Error | boolean) => {
      const pending = poolRelease;
      poolRelease = null;
      pending?.(error);
    };
    // pg-pool assigns a fresh `release` at each checkout: keep it, and hand out ours.
    Object.defineProperty(client, 'release', {
      configurable: true,
      get: () => release,
      set: (assigned: (error?: Error | boolean) => void) => {
        poolRelease = assigned;
      },
    });
    client.on('end', () => release(new Error('The connection ended while checked out.')));
  });
}
