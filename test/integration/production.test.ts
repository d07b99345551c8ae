import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_MASTER_KEY, type TestApp } from '../support/app.ts';

// NODE_ENV=production: what a public deployment shows of itself.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ NODE_ENV: 'production', AGORA_ENCRYPTION_KEY: TEST_MASTER_KEY });
});
afterAll(async () => {
  await t.close();
});

describe('in production', () => {
  it('serves no GraphiQL page', async () => {
    // The request that gets GraphiQL in development (test/e2e/main.test.ts: 200 and "<title>Agora</title>").
    const page = await t.app.yoga.fetch('http://yoga/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(406);
    expect(await page.text()).toBe('');
    // What a browser really sends for a typed URL: refused before anything is rendered, saying what is missing.
    const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const browser = await t.app.yoga.fetch('http://yoga/graphql', { headers: { accept: browserAccept, 'sec-fetch-site': 'none' } });
    expect(browser.status).toBe(401);
    expect(browser.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await browser.json()).toEqual({
      errors: [{ message: expect.stringMatching(/^No access token: send the header "Authorization: Bearer <token>"/), extensions: { code: 'UNAUTHENTICATED' } }],
    });
    // The same from another site: the CSRF check refuses it.
    const crossSite = await t.app.yoga.fetch('http://yoga/graphql', { headers: { accept: browserAccept, 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toEqual({ errors: [{ message: 'Required CSRF header(s) not present', extensions: { code: 'BAD_USER_INPUT' } }] });
  });

  it('refuses introspection, even with a token', async () => {
    const response = await t.graphql('{ __schema { queryType { name } } }');
    expect(response.status).toBe(200);
    expect(response.data?.__schema).toBeUndefined();
    expect(response.data).toBeUndefined();
    expect(response.errors?.[0]).toMatchObject({ message: expect.stringMatching(/introspection has been disabled/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(response.errors?.every((error) => error.extensions?.code === 'BAD_USER_INPUT')).toBe(true);
    const anonymous = await t.graphql('{ __schema { queryType { name } } }', { token: null });
    expect(anonymous.data).toBeUndefined();
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses abusive documents without revealing the limits or suggesting fields', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: me { email }`).join(' ');
    const response = await t.graphql(`{ ${aliases} }`);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).not.toMatch(/30|40/);
    const tooManyTokens = await t.graphql(`{ me { ${'email '.repeat(3000)} } }`);
    expect(tooManyTokens.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooManyTokens.errors?.[0]?.message).not.toMatch(/2000|3000/);
    const typo = await t.graphql('{ me { emial } }');
    expect(typo.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(typo.errors?.[0]?.message).toBeTruthy();
    expect(typo.errors?.[0]?.message).not.toContain('Did you mean');
    expect(typo.errors?.[0]?.message).not.toContain('email');
  });

  it('still answers ordinary operations', async () => {
    expect((await t.graphql<{ me: { email: string } }>('{ me { email } }')).data?.me.email).toBe('admin@example.com');
  });
});
