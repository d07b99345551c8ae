import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('authentication', () => {
  it('answers `me` for a valid token', async () => {
    const response = await t.graphql<{ me: { email: string; role: string } }>('{ me { email role } }');
    expect(response.errors).toBeUndefined();
    expect(response.data?.me).toEqual({ email: 'admin@example.com', role: 'ADMIN' });
  });

  it('refuses a request without a token with UNAUTHENTICATED', async () => {
    const response = await t.graphql('{ me { email } }', { token: null });
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.errors?.[0]?.message).toMatch(/Authorization: Bearer/);
  });

  it('refuses a malformed and an unknown token', async () => {
    const malformed = await t.graphql('{ me { email } }', { headers: { authorization: 'Token abc' }, token: null });
    expect(malformed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const unknown = await t.graphql('{ me { email } }', { token: `agora_${'A'.repeat(43)}` });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unknown.errors?.[0]?.message).toMatch(/invalid, expired or revoked/);
  });

  it('refuses a token once it is revoked, and only its owner can revoke it', async () => {
    const member = await t.createUser('revoker@example.com');
    const issued = await t.graphql<{ createAccessToken: { token: string; accessToken: { id: string } } }>(
      'mutation { createAccessToken(name: "laptop") { token accessToken { id } } }',
      { token: member.token },
    );
    const { token, accessToken } = issued.data!.createAccessToken;
    expect((await t.graphql('{ me { email } }', { token })).data).toEqual({ me: { email: 'revoker@example.com' } });

    const stranger = await t.graphql('mutation($id: ID!) { revokeAccessToken(id: $id) { id } }', {
      variables: { id: accessToken.id },
    });
    expect(stranger.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const revoked = await t.graphql<{ revokeAccessToken: { revokedAt: string | null } }>(
      'mutation($id: ID!) { revokeAccessToken(id: $id) { revokedAt } }',
      { variables: { id: accessToken.id }, token: member.token },
    );
    expect(revoked.data?.revokeAccessToken.revokedAt).toBeTruthy();
    const after = await t.graphql('{ me { email } }', { token });
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The member's other token still works.
    expect((await t.graphql('{ me { email } }', { token: member.token })).errors).toBeUndefined();
  });

  it.runIf(process.env.REDIS_URL)('refuses a token on every replica once one of them revokes it (through Redis)', async () => {
    const replica = await createTestApp({ REDIS_URL: process.env.REDIS_URL ?? '' }, { database: t.db });
    const here = await createTestApp({ REDIS_URL: process.env.REDIS_URL ?? '' }, { database: t.db });
    try {
      const member = await here.createUser(`replicas-${Date.now()}@example.com`);
      const issued = await here.graphql<{ createAccessToken: { token: string; accessToken: { id: string } } }>(
        'mutation { createAccessToken { token accessToken { id } } }',
        { token: member.token },
      );
      const { token, accessToken } = issued.data!.createAccessToken;
      // Both replicas have now seen (and cached) the token.
      expect((await here.graphql('{ me { email } }', { token })).errors).toBeUndefined();
      expect((await replica.graphql('{ me { email } }', { token })).errors).toBeUndefined();
      await replica.graphql('mutation($id: ID!) { revokeAccessToken(id: $id) { id } }', { variables: { id: accessToken.id }, token: member.token });
      const { waitFor } = await import('../support/process.ts');
      await waitFor(async () => (await here.graphql('{ me { email } }', { token })).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', 5_000, 'the revocation on the other replica');
    } finally {
      await replica.close();
      await here.close();
    }
  });

  it('lets introspection through without a token', async () => {
    const response = await t.graphql<{ __schema: { queryType: { name: string } } }>('{ __schema { queryType { name } } }', {
      token: null,
    });
    expect(response.data?.__schema.queryType.name).toBe('Query');
  });

  it('stores tokens only as hashes', async () => {
    const { token } = await t.createUser('hashed@example.com');
    const rows = await t.db.sql('select * from auth.access_tokens');
    const dump = JSON.stringify(rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(token.slice(10));
  });
});

describe('roles', () => {
  it('lets an admin create users and refuses members with FORBIDDEN', async () => {
    const created = await t.graphql<{ createUser: { token: string; user: { email: string; role: string } } }>(
      'mutation { createUser(input: { email: "New.Person@Example.com", name: "New" }) { token user { email role } } }',
    );
    expect(created.data?.createUser.user).toEqual({ email: 'new.person@example.com', role: 'MEMBER' });
    const memberToken = created.data!.createUser.token;

    const forbidden = await t.graphql('mutation { createUser(input: { email: "x@example.com" }) { token } }', {
      token: memberToken,
    });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const rows = await t.db.sql('select 1 from auth.users where email = $1', ['x@example.com']);
    expect(rows).toHaveLength(0);
  });

  it('reports a taken email as CONFLICT and a bad one as BAD_USER_INPUT', async () => {
    const conflict = await t.graphql('mutation { createUser(input: { email: "ADMIN@example.com" }) { token } }');
    expect(conflict.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const bad = await t.graphql('mutation { createUser(input: { email: "not-an-email" }) { token } }');
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('bad requests', () => {
  it('answers invalid JSON with BAD_USER_INPUT, without echoing the body, and keeps serving', async () => {
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        authorization: `Bearer ${t.adminToken}`,
      },
      body: '{"query": "{ me { email } }", secret-ish',
    });
    const body = (await response.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(response.status).toBe(400);
    expect(body.errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(body)).not.toContain('secret-ish');
    expect((await t.graphql('{ me { email } }')).errors).toBeUndefined();
  });

  it('gives validation errors the BAD_USER_INPUT code', async () => {
    const response = await t.graphql('{ me { emial } }');
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses abusive documents (depth, aliases, tokens) and keeps serving', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: me { email }`).join(' ');
    const manyAliases = await t.graphql(`{ ${aliases} }`);
    expect(manyAliases.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');


    const huge = `{ me { ${'email '.repeat(3000)} } }`;
    const tooManyTokens = await t.graphql(huge);
    expect(tooManyTokens.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    expect((await t.graphql('{ me { email } }')).data).toEqual({ me: { email: 'admin@example.com' } });
  });

  it('refuses a document deeper than MAX_QUERY_DEPTH', async () => {
    const shallow = await createTestApp({ MAX_QUERY_DEPTH: '2' });
    try {
      const tooDeep = await shallow.graphql('mutation { createAccessToken { user { email } } }');
      expect(tooDeep.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(tooDeep.errors?.[0]?.message).toMatch(/depth/i);
      expect(await shallow.db.sql('select 1 from auth.access_tokens where name is null')).toHaveLength(0);
      expect((await shallow.graphql('{ me { email } }')).errors).toBeUndefined();
    } finally {
      await shallow.close();
    }
  });

  it('refuses a body over the size limit with 413', async () => {
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query: `{ me { email } } # ${'x'.repeat(t.config.limits.requestBytes)}` }),
    });
    expect(response.status).toBe(413);
  });

  it('turns off request batching', async () => {
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify([{ query: '{ me { email } }' }, { query: '{ me { email } }' }]),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
  });

  it('refuses a simple cross-site GET without an Authorization or CSRF header', async () => {
    const response = await t.app.yoga.fetch('http://yoga/graphql?query=%7B__typename%7D', { method: 'GET' });
    expect(response.status).toBe(403);
  });
});

describe('logs', () => {
  it('write one line per request with its operation name and never a token', async () => {
    await t.graphql('query WhoAmI { me { email } }');
    const line = t.logs.find((entry) => entry.includes('"operationName":"WhoAmI"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ msg: 'request', status: 200, path: '/graphql' });
    expect(t.logs.join('\n')).not.toContain(t.adminToken);
  });

  it('never log the body of a request that failed to parse', async () => {
    await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: '{"query": "mutation { x }", "apiKey": "sk-live-should-not-appear" ',
    });
    expect(t.logs.join('\n')).not.toContain('sk-live-should-not-appear');
  });
});
