// What every figure works with: the database, the fake provider, the gateway child, a few users, the
// report, and the run's settings (quick or full, profiling on or off).
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthService } from '../../src/modules/auth/auth.service.ts';
import { type ChildHandle, startChild } from './child-process.ts';
import { summarizeProfileFile } from './cpu-profile.ts';
import { type BenchDatabase, openBenchDatabase } from './database.ts';
import type { Report } from './report.ts';
import { startTimedOpenAiFake, type TimedOpenAiFake } from './timed-openai.fake.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS = join(ROOT, 'bench/results');
export const PROFILES = join(RESULTS, 'profiles');

export interface Settings {
  quick: boolean;
  /** Profile the gateway during each measured section (figures are then not comparable: the profiler costs). */
  profile: boolean;
  /** Seconds per autocannon run, and interleaved rounds per figure. */
  seconds: number;
  rounds: number;
  logLevel: string;
}

export interface BenchUser {
  id: string;
  token: string;
}

export interface Bench {
  settings: Settings;
  report: Report;
  db: BenchDatabase;
  fake: TimedOpenAiFake;
  gateway: ChildHandle;
  httpUrl: string;
  wsUrl: string;
  masterKey: string;
  admin: BenchUser;
  member: BenchUser;
  /** A member who owns exactly the projects of the read-throughput figure. */
  reader: BenchUser;
  createUser(email: string, role?: 'ADMIN' | 'MEMBER'): Promise<BenchUser>;
  /** POST /graphql on the gateway; throws on a GraphQL error. */
  graphql<T>(query: string, variables?: Record<string, unknown>, token?: string): Promise<T>;
  /** Runs `work`; in profile mode with the gateway's CPU profiler on, and writes a summary. */
  profiled<T>(name: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The Node flags of package.json's start script (`node <flags> src/main.ts`): the gateway runs as deployed. */
export function startNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return manifest.scripts.start.split(' ').filter((word) => word.startsWith('--'));
}

export function gatewayEnvironment(databaseUrl: string, masterKey: string, logLevel: string): Record<string, string> {
  return {
    // Production settings: what a deployment runs (no GraphiQL or introspection, masked limits),
    // with its default pool size (10) and job workers in the same process.
    NODE_ENV: 'production',
    LOG_LEVEL: logLevel,
    DATABASE_URL: databaseUrl,
    AGORA_ENCRYPTION_KEY: masterKey,
    HOST: '127.0.0.1',
    PORT: '0',
    // The fake providers listen on loopback, which production refuses unless listed.
    OUTBOUND_ALLOWLIST: '127.0.0.1',
    // Experiments: BENCH_GATEWAY_ENV='{"NAME":"value"}' adds to (or overrides) the gateway's environment.
    ...(process.env.BENCH_GATEWAY_ENV ? (JSON.parse(process.env.BENCH_GATEWAY_ENV) as Record<string, string>) : {}),
  };
}

export async function openBench(settings: Settings, report: Report): Promise<Bench> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('cleanup failed:', error));
    cleanups.length = 0;
  };
  try {
    const db = await openBenchDatabase();
    cleanups.push(() => db.close());
    const fake = await startTimedOpenAiFake();
    cleanups.push(() => fake.close());
    const masterKey = Buffer.alloc(32, 3).toString('base64');
    const gateway = await startChild('gateway', join(ROOT, 'bench/children/gateway.child.ts'), {
      env: gatewayEnvironment(db.url, masterKey, settings.logLevel),
      // Node's flags as `npm start` passes them (the heap's sizes), and --expose-gc only for the memory
      // figure's reading after a full collection (the gateway never calls gc itself).
      execArgv: [...startNodeFlags(), '--expose-gc'],
    });
    cleanups.push(() => gateway.stop());
    const port = Number(gateway.info.port);
    const httpUrl = `http://127.0.0.1:${port}/graphql`;
    const wsUrl = `ws://127.0.0.1:${port}/graphql`;

    const createUser = async (email: string, role: 'ADMIN' | 'MEMBER' = 'MEMBER'): Promise<BenchUser> => {
      const created = await new AuthService(db.orm.em.fork()).createUser({ email, role });
      return { id: created.user.id, token: created.token };
    };
    const admin = await createUser('bench-admin@example.com', 'ADMIN');
    const member = await createUser('bench-member@example.com');
    const reader = await createUser('bench-reader@example.com');

    const graphql = async <T>(query: string, variables: Record<string, unknown> = {}, token = admin.token): Promise<T> => {
      const response = await fetch(httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: unknown[] };
      if (body.errors || !body.data) throw new Error(`GraphQL error (${response.status}): ${JSON.stringify(body.errors)}`);
      return body.data;
    };

    await graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
      input: { name: 'bench-openai', provider: 'OPENAI', config: { baseUrl: fake.baseUrl }, apiKey: 'sk-bench-0000', isActive: true },
    });

    const profiled = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      if (!settings.profile) return work();
      await mkdir(PROFILES, { recursive: true });
      await gateway.profileStart();
      try {
        return await work();
      } finally {
        const file = join(PROFILES, `${name}.cpuprofile`);
        await gateway.profileStop(file);
        const summary = await summarizeProfileFile(file, { title: `gateway CPU profile: ${name}` });
        await writeFile(join(PROFILES, `${name}.txt`), `${summary}\n`);
        console.log(`\n${summary.split('\n').slice(0, 40).join('\n')}\n      (full summary: bench/results/profiles/${name}.txt)\n`);
      }
    };

    return { settings, report, db, fake, gateway, httpUrl, wsUrl, masterKey, admin, member, reader, createUser, graphql, profiled, close };
  } catch (error) {
    await close();
    throw error;
  }
}
