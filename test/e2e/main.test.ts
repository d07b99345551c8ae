import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { runNode, startNode, waitFor } from '../support/process.ts';

// The new user's path, for real: `npm start` on an empty data directory with the embedded PostgreSQL.
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'agora-main-'));
  await chmod(dataDir, 0o755);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function startServer(env: Record<string, string>) {
  const server = startNode('src/main.ts', env);
  await waitFor(() => server.output().includes('Agora is listening') || server.child.exitCode !== null, 90_000, 'the server');
  return server;
}

async function stopServer(server: ReturnType<typeof startNode>): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  return exited;
}

describe('npm start on a fresh machine', () => {
  it('starts on the embedded PostgreSQL, prints the admin token once, reuses the data, and stops on SIGTERM', async () => {
    const port = await freePort();
    const env = { AGORA_DATA_DIR: dataDir, AGORA_PG_PORT: String(await freePort()), PORT: String(port), NODE_ENV: 'development' };

    const first = await startServer(env);
    const token = /^(agora_[A-Za-z0-9_-]{43})$/m.exec(first.output())?.[1];
    expect(token, first.output()).toBeDefined();
    expect(first.output()).toContain(`http://localhost:${port}/graphql`);
    const base = `http://127.0.0.1:${port}`;

    const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Agora</title>');

    const me = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { email role } }' }),
    });
    expect(await me.json()).toEqual({ data: { me: { email: 'admin@localhost', role: 'ADMIN' } } });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    // The CLI joins the running embedded instance.
    const cli = await runNode('src/cli.ts', ['users:create', '--email', 'joiner@example.com'], env);
    expect(cli.code, cli.stderr).toBe(0);

    expect(await stopServer(first)).toBe(0);

    const second = await startServer(env);
    expect(second.output()).not.toMatch(/agora_[A-Za-z0-9_-]{43}/);
    const again = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { email } }' }),
    });
    expect(await again.json()).toEqual({ data: { me: { email: 'admin@localhost' } } });
    expect(await stopServer(second)).toBe(0);

    // With the server stopped, the CLI starts the embedded database briefly by itself.
    const offline = await runNode('src/cli.ts', ['tokens:create', '--email', 'joiner@example.com'], env);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout.trim()).toMatch(/^agora_/);
  }, 180_000);

  it('refuses to start in production without a master key, before touching any database', async () => {
    const run = await runNode('src/main.ts', [], { NODE_ENV: 'production', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PORT: '0' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('AGORA_ENCRYPTION_KEY is required in production');
  });

  it('refuses to start with a clear message when the embedded database port is taken', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    const pgPort = await freePort();
    await new Promise<void>((resolve) => blocker.listen(pgPort, '127.0.0.1', resolve));
    try {
      const other = await mkdtemp(join(tmpdir(), 'agora-main-'));
      await chmod(other, 0o755);
      const run = await runNode('src/main.ts', [], { AGORA_DATA_DIR: other, AGORA_PG_PORT: String(pgPort), PORT: '0' });
      await rm(other, { recursive: true, force: true });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`Port ${pgPort} is already in use`);
    } finally {
      blocker.close();
    }
  });
});
