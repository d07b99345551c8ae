import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { runNode } from '../support/process.ts';

let t: TestApp;
let env: Record<string, string>;
beforeAll(async () => {
  t = await createTestApp();
  env = { DATABASE_URL: t.db.url, NODE_ENV: 'test' };
});
afterAll(async () => {
  await t.close();
});

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? '';

describe('npm run agora', () => {
  it('users:create prints a working token alone on the last line of stdout', async () => {
    const run = await runNode('src/cli.ts', ['users:create', '--email', 'cli@example.com', '--name', 'Cli', '--admin'], env);
    expect(run.code).toBe(0);
    const token = lastLine(run.stdout);
    expect(token).toMatch(/^agora_[A-Za-z0-9_-]{43}$/);
    const me = await t.graphql<{ me: { email: string; role: string; name: string } }>('{ me { email role name } }', { token });
    expect(me.data?.me).toEqual({ email: 'cli@example.com', role: 'ADMIN', name: 'Cli' });
  });

  it('tokens:create issues another token for an existing user', async () => {
    await t.createUser('second@example.com');
    const run = await runNode('src/cli.ts', ['tokens:create', '--email', 'second@example.com'], env);
    expect(run.code).toBe(0);
    const me = await t.graphql<{ me: { role: string } }>('{ me { role } }', { token: lastLine(run.stdout) });
    expect(me.data?.me.role).toBe('MEMBER');
  });

  it('fails clearly for an unknown email, a taken email, a missing flag and an unknown command', async () => {
    const unknown = await runNode('src/cli.ts', ['tokens:create', '--email', 'ghost@example.com'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('No user has the email ghost@example.com');
    expect(unknown.stdout).not.toMatch(/agora_/);

    const taken = await runNode('src/cli.ts', ['users:create', '--email', 'admin@example.com'], env);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain('already exists');

    const missing = await runNode('src/cli.ts', ['users:create'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--email is required');

    const bogus = await runNode('src/cli.ts', ['users:delete'], env);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('Unknown command');
  });

  it('stops with a message naming a bad environment value', async () => {
    const run = await runNode('src/cli.ts', ['migrate'], { ...env, AGORA_PG_PORT: 'seventy' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('AGORA_PG_PORT');
  });
});
