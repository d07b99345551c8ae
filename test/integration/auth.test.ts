import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type GraphQLResponse, type TestApp } from '../support/app.ts';
import { waitFor } from '../support/process.ts';
import { redisTest } from '../support/redis.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** A refusal as the server sends it: HTTP status, the first error's code, and no data for the field. */
const refusal = (response: GraphQLResponse) => ({ status: response.status, code: response.errors?.[0]?.extensions?.code, errors: response.errors?.length });

describe('authentication', () => {
  it('answers `me` for a valid token', async () => {
    const response = await t.graphql<{ me: { email: string; role: string } }>('{ me { email role } }');
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data?.me).toEqual({ email: 'admin@example.com', role: 'ADMIN' });
  });

  it('refuses a request without a token with UNAUTHENTICATED', async () => {
    const response = await t.graphql('{ me { email } }', { token: null });
    expect(refusal(response)).toEqual({ status: 200, code: 'UNAUTHENTICATED', errors: 1 });
    expect(response.errors?.[0]?.message).toMatch(/Authorization: Bearer/);
    expect(response.data).toBeNull();
  });

  it('refuses a malformed and an unknown token', async () => {
    const malformed = await t.graphql('{ me { email } }', { headers: { authorization: 'Token abc' }, token: null });
    expect(refusal(malformed)).toEqual({ status: 200, code: 'UNAUTHENTICATED', errors: 1 });
    expect(malformed.errors?.[0]?.message).toMatch(/must be "Bearer <token>"/);
    expect(malformed.data).toBeNull();
    const unknown = await t.graphql('{ me { email } }', { token: `agora_${'A'.repeat(43)}` });
    expect(refusal(unknown)).toEqual({ status: 200, code: 'UNAUTHENTICATED', errors: 1 });
    expect(unknown.errors?.[0]?.message).toMatch(/invalid, expired or revoked/);
    expect(unknown.data).toBeNull();
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
    expect(refusal(stranger)).toEqual({ status: 200, code: 'NOT_FOUND', errors: 1 });
    // The stranger's attempt left the token working.
    expect((await t.graphql('{ me { email } }', { token })).data).toEqual({ me: { email: 'revoker@example.com' } });

    const revoked = await t.graphql<{ revokeAccessToken: { revokedAt: string | null } }>(
      'mutation($id: ID!) { revokeAccessToken(id: $id) { revokedAt } }',
      { variables: { id: accessToken.id }, token: member.token },
    );
    expect(revoked.errors).toBeUndefined();
    expect(Number.isNaN(Date.parse(revoked.data?.revokeAccessToken.revokedAt ?? ''))).toBe(false);
    const after = await t.graphql('{ me { email } }', { token });
    expect(refusal(after)).toEqual({ status: 200, code: 'UNAUTHENTICATED', errors: 1 });
    expect(after.data).toBeNull();
    // The member's other token still works.
    expect((await t.graphql('{ me { email } }', { token: member.token })).errors).toBeUndefined();
  });

  redisTest('refuses a token on every replica once one of them revokes it (through Redis)', async (redisUrl) => {
    const replica = await createTestApp({ REDIS_URL: redisUrl }, { database: t.db });
    const here = await createTestApp({ REDIS_URL: redisUrl }, { database: t.db });
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
      const revoked = await replica.graphql<{ revokeAccessToken: { id: string } }>('mutation($id: ID!) { revokeAccessToken(id: $id) { id } }', {
        variables: { id: accessToken.id },
        token: member.token,
      });
      expect(revoked.errors).toBeUndefined();
      expect(revoked.data?.revokeAccessToken.id).toBe(accessToken.id);
      // The replica that revoked it refuses it at once; the other one as soon as the news crosses Redis.
      expect(refusal(await replica.graphql('{ me { email } }', { token }))).toEqual({ status: 200, code: 'UNAUTHENTICATED', errors: 1 });
      await waitFor(async () => (await here.graphql('{ me { email } }', { token })).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', 5_000, 'the revocation on the other replica');
      expect(refusal(await here.graphql('{ me { email } }', { token }))).toEqual({ status: 200, code: 'UNAUTHENTICATED', errors: 1 });
    } finally {
      await replica.close();
      await here.close();
    }
  });

  it('lets introspection through without a token', async () => {
    const response = await t.graphql<{ __schema: { queryType: { name: string } } }>('{ __schema { queryType { name } } }', {
      token: null,
    });
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data?.__schema.queryType.name).toBe('Query');
  });

  it('stores tokens only as hashes', async () => {
    const { id, token } = await t.createUser('hashed@example.com');
    const rows = await t.db.sql('select * from auth.access_tokens');
    const dump = JSON.stringify(rows);
    // The user's one token is stored, as its SHA-256 hash.
    const own = await t.db.sql<{ token_hash: string }>('select token_hash from auth.access_tokens where user_id = $1', [id]);
    expect(own).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex') }]);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(token.slice(10));
  });
});

describe('roles', () => {
  it('lets an admin create users and refuses members with FORBIDDEN', async () => {
    const created = await t.graphql<{ createUser: { token: string; user: { email: string; role: string } } }>(
      'mutation { createUser(input: { email: "New.Person@Example.com", name: "New" }) { token user { email role } } }',
    );
    expect(created.status).toBe(200);
    expect(created.errors).toBeUndefined();
    expect(created.data?.createUser.user).toEqual({ email: 'new.person@example.com', role: 'MEMBER' });
    const memberToken = created.data!.createUser.token;

    const forbidden = await t.graphql('mutation { createUser(input: { email: "x@example.com" }) { token } }', {
      token: memberToken,
    });
    expect(refusal(forbidden)).toEqual({ status: 200, code: 'FORBIDDEN', errors: 1 });
    expect(forbidden.data).toBeNull();
    const rows = await t.db.sql('select 1 from auth.users where email = $1', ['x@example.com']);
    expect(rows).toHaveLength(0);
  });

  it('reports a taken email as CONFLICT and a bad one as BAD_USER_INPUT', async () => {
    const conflict = await t.graphql('mutation { createUser(input: { email: "ADMIN@example.com" }) { token } }');
    expect(refusal(conflict)).toEqual({ status: 200, code: 'CONFLICT', errors: 1 });
    const bad = await t.graphql('mutation { createUser(input: { email: "not-an-email" }) { token } }');
    expect(refusal(bad)).toEqual({ status: 200, code: 'BAD_USER_INPUT', errors: 1 });
    expect(await t.db.sql('select 1 from auth.users where email = $1', ['not-an-email'])).toHaveLength(0);
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
    expect(refusal(response)).toEqual({ status: 200, code: 'BAD_USER_INPUT', errors: 1 });
    expect(response.errors?.[0]?.message).toMatch(/Cannot query field "emial"/);
    expect(response.data).toBeUndefined();
  });

  it('refuses abusive documents (depth, aliases, tokens) and keeps serving', async () => {
    // AnalysisRun.project and Project.analysisRuns make a cycle: 2 + 2 x 7 = 16 levels, over the default 12.
    const deep = `{ analysisRun(id: "00000000-0000-4000-8000-000000000000") { ${'project { analysisRuns { '.repeat(7)}id${' } }'.repeat(7)} } }`;
    const tooDeep = await t.graphql(deep);
    expect(refusal(tooDeep)).toEqual({ status: 200, code: 'BAD_USER_INPUT', errors: 1 });
    expect(tooDeep.errors?.[0]?.message).toMatch(/depth/i);
    expect(tooDeep.data).toBeUndefined();

    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: me { email }`).join(' ');
    const manyAliases = await t.graphql(`{ ${aliases} }`);
    expect(refusal(manyAliases)).toEqual({ status: 200, code: 'BAD_USER_INPUT', errors: 1 });
    expect(manyAliases.errors?.[0]?.message).toMatch(/Aliases limit/);
    expect(manyAliases.data).toBeUndefined();

    const huge = `{ me { ${'email '.repeat(3000)} } }`;
    const tooManyTokens = await t.graphql(huge);
    expect(refusal(tooManyTokens)).toEqual({ status: 200, code: 'BAD_USER_INPUT', errors: 1 });
    expect(tooManyTokens.errors?.[0]?.message).toMatch(/Token limit/);
    expect(tooManyTokens.data).toBeUndefined();

    expect((await t.graphql('{ me { email } }')).data).toEqual({ me: { email: 'admin@example.com' } });
  });

  it('refuses a document deeper than MAX_QUERY_DEPTH', async () => {
    const shallow = await createTestApp({ MAX_QUERY_DEPTH: '2' });
    try {
      const tooDeep = await shallow.graphql('mutation { createAccessToken { user { email } } }');
      expect(refusal(tooDeep)).toEqual({ status: 200, code: 'BAD_USER_INPUT', errors: 1 });
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
    expect(await response.json()).toEqual({ errors: [{ message: 'The request body is too large.', extensions: { code: 'BAD_USER_INPUT' } }] });
  });

  it('turns off request batching', async () => {
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify([{ query: '{ me { email } }' }, { query: '{ me { email } }' }]),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: [{ message: 'Batching is not supported.', extensions: { code: 'BAD_USER_INPUT' } }] });
  });

  it('refuses a simple cross-site GET without an Authorization or CSRF header', async () => {
    // What a browser on another site sends (Sec-Fetch-Site: cross-site): the CSRF check refuses it.
    const response = await t.app.yoga.fetch('http://yoga/graphql?query=%7B__typename%7D', { method: 'GET', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ errors: [{ message: 'Required CSRF header(s) not present', extensions: { code: 'BAD_USER_INPUT' } }] });
  });

  it('tells a GET without a token what is missing: UNAUTHENTICATED, not a CSRF error', async () => {
    // curl, a script, a URL typed in a browser (Sec-Fetch-Site: none): nothing runs, and the answer says why.
    for (const headers of [{}, { 'sec-fetch-site': 'none' }, { 'sec-fetch-site': 'same-origin' }] as Record<string, string>[]) {
      const response = await t.app.yoga.fetch('http://yoga/graphql?query=%7B%20me%20%7B%20email%20%7D%20%7D', { method: 'GET', headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      const body = (await response.json()) as GraphQLResponse;
      expect(body.errors).toHaveLength(1);
      expect(body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
      expect(body.errors?.[0]?.message).toMatch(/Authorization: Bearer <token>/);
    }
    // With a token, a GET query is answered; an anonymous GET that opts out of the CSRF check may introspect.
    const signedIn = await t.app.yoga.fetch('http://yoga/graphql?query=%7B%20me%20%7B%20email%20%7D%20%7D', { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(await signedIn.json()).toEqual({ data: { me: { email: 'admin@example.com' } } });
    const introspection = await t.app.yoga.fetch('http://yoga/graphql?query=%7B__typename%7D', { headers: { 'x-graphql-yoga-csrf': '1' } });
    expect(await introspection.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('logs', () => {
  it('write one line per request with its operation name and never a token', async () => {
    // Lines of earlier requests are written by now.
    await new Promise((resolve) => setImmediate(resolve));
    const before = t.logs.length;
    await t.graphql('query WhoAmI { me { email } }');
    // The line is written once the response is on its way (the next turn of the event loop).
    await new Promise((resolve) => setImmediate(resolve));
    const lines = t.logs.slice(before);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'request', method: 'POST', status: 200, path: '/graphql', operationName: 'WhoAmI' });
    expect(t.logs.filter((entry) => entry.includes('"operationName":"WhoAmI"'))).toHaveLength(1);
    // The line skips the logger's redaction: it may only ever hold these fields (see requestLogPlugin).
    const allowed = ['level', 'time', 'pid', 'hostname', 'service', 'msg', 'method', 'path', 'status', 'operationName', 'traceId', 'durationMs'];
    expect(Object.keys(JSON.parse(lines[0]!) as object).filter((key) => !allowed.includes(key))).toEqual([]);
    expect(t.logs.join('\n')).not.toContain(t.adminToken);
  });

  it('never log the body of a request that failed to parse', async () => {
    await new Promise((resolve) => setImmediate(resolve));
    const before = t.logs.length;
    const response = await t.app.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: '{"query": "mutation { x }", "apiKey": "sk-live-should-not-appear" ',
    });
    // Asked with a plain application/json Accept, yoga answers a parse failure with 200 (legacy GraphQL over HTTP).
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ errors: [{ message: 'POST body sent invalid JSON.', extensions: { code: 'BAD_USER_INPUT' } }] });
    // The request was logged (its one line, once the response was on its way), without the body.
    await new Promise((resolve) => setImmediate(resolve));
    const lines = t.logs.slice(before);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'request', method: 'POST', path: '/graphql', status: 200 });
    expect(t.logs.join('\n')).not.toContain('sk-live-should-not-appear');
  });
});
