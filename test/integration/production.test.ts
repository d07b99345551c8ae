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
    const response = await t.app.yoga.fetch('http://yoga/graphql', { headers: { accept: 'text/html' } });
    expect(await response.text()).not.toContain('<title>Agora</title>');
  });

  it('refuses introspection, even with a token', async () => {
    const response = await t.graphql('{ __schema { queryType { name } } }');
    expect(response.data?.__schema).toBeUndefined();
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses abusive documents without revealing the limits or suggesting fields', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: me { email }`).join(' ');
    const response = await t.graphql(`{ ${aliases} }`);
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).not.toMatch(/30|40/);
    const typo = await t.graphql('{ me { emial } }');
    expect(typo.errors?.[0]?.message).not.toContain('Did you mean');
  });

  it('still answers ordinary operations', async () => {
    expect((await t.graphql<{ me: { email: string } }>('{ me { email } }')).data?.me.email).toBe('admin@example.com');
  });
});
