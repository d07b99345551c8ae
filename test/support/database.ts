import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { inject } from 'vitest';
import { initOrm } from '../../src/db/database.ts';
import { withDatabase } from './global-setup.ts';

export interface TestDatabase {
  name: string;
  url: string;
  orm: MikroORM;
  /** Runs SQL as the server's superuser on this database (for assertions and fault injection). */
  /** Every SQL statement the ORM sent, in order (for counting queries). */
  queries: string[];
  sql<Row extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template: each test file gets its own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  const template = inject('templateDatabase');
  const name = `agora_test_${template.split('_').pop()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const orm = await initOrm(url, 5);
  const queries: string[] = [];
  orm.config.set('onQuery', (query: string) => {
    queries.push(query);
    return query;
  });
  const sql = async <Row extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<Row>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    name,
    url,
    orm,
    queries,
    sql,
    drop: async () => {
      await orm.close(true);
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
