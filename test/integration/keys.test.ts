import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rotateSecrets } from '../../src/modules/keys/rotation.service.ts';
import { parseMasterKeys } from '../../src/security/master-key.ts';
import { SecretBox } from '../../src/security/secret-box.ts';
import { createTestApp, TEST_MASTER_KEY, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { runNode } from '../support/process.ts';

let t: TestApp;
let fakes: FakeLlmServers;
const USER_KEY = 'sk-user-own-key-dddd4444';
const CONFIG_KEY = 'sk-config-key-eeee5555';
const ENV_KEY = 'sk-env-key-ffff6666';

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp({ OPENAI_API_KEY: ENV_KEY });
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(() => fakes.reset());

type Key = { id: string; provider: string; label: string | null; hint: string; lastUsedAt: string | null; revokedAt: string | null };
const KEY = 'id provider label hint createdAt lastUsedAt revokedAt';

function addKey(input: Record<string, unknown>, token: string) {
  return t.graphql<{ addApiKey: Key }>(`mutation($input: AddApiKeyInput!) { addApiKey(input: $input) { ${KEY} } }`, { variables: { input }, token });
}

/** Every text value of every table in both schemas, for hunting a plaintext secret. */
async function dumpAllTables(): Promise<string> {
  const tables = await t.db.sql<{ table_schema: string; table_name: string }>(
    "select table_schema, table_name from information_schema.tables where table_schema in ('auth', 'specs', 'public') and table_type = 'BASE TABLE'",
  );
  const dumps = await Promise.all(tables.map((table) => t.db.sql(`select * from "${table.table_schema}"."${table.table_name}"`)));
  return JSON.stringify(dumps);
}

describe('API keys', () => {
  it('stores a key encrypted, shows only its hint, and never lets the secret out', async () => {
    const member = await t.createUser('keys-owner@example.com');
    const added = await addKey({ provider: 'OPENAI', apiKey: USER_KEY, label: 'personal' }, member.token);
    expect(added.errors).toBeUndefined();
    expect(added.data?.addApiKey).toMatchObject({ provider: 'OPENAI', label: 'personal', hint: '…4444', revokedAt: null });
    const listed = await t.graphql(`{ apiKeys { ${KEY} } }`, { token: member.token });
    expect(JSON.stringify([added, listed])).not.toContain(USER_KEY);
    expect(await dumpAllTables()).not.toContain(USER_KEY);
    expect(t.logs.join('\n')).not.toContain(USER_KEY);
  });

  it('replaces the previous key for the same provider and keeps other providers', async () => {
    const member = await t.createUser('keys-replace@example.com');
    const first = (await addKey({ provider: 'OPENAI', apiKey: 'sk-first-000001' }, member.token)).data!.addApiKey;
    await addKey({ provider: 'GITHUB', apiKey: 'ghp_github_000003' }, member.token);
    const second = (await addKey({ provider: 'OPENAI', apiKey: 'sk-second-000002' }, member.token)).data!.addApiKey;
    const keys = (await t.graphql<{ apiKeys: Key[] }>(`{ apiKeys { ${KEY} } }`, { token: member.token })).data!.apiKeys;
    const live = keys.filter((key) => key.revokedAt === null).map((key) => [key.provider, key.hint]);
    expect(live.sort()).toEqual([['GITHUB', '…0003'], ['OPENAI', '…0002']]);
    expect(keys.find((key) => key.id === first.id)?.revokedAt).toBeTruthy();
    expect(second.revokedAt).toBeNull();
  });

  it('survives concurrent additions with exactly one live key per provider', async () => {
    const member = await t.createUser('keys-race@example.com');
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => addKey({ provider: 'GEMINI', apiKey: `gemini-key-${i}-xxxx` }, member.token)));
    expect(results.every((result) => result.errors === undefined)).toBe(true);
    const live = await t.db.sql("select 1 from auth.api_keys where user_id = $1 and provider = 'GEMINI' and revoked_at is null", [member.id]);
    expect(live).toHaveLength(1);
  });

  it('revokes only the owner\u2019s keys; another user gets NOT_FOUND', async () => {
    const owner = await t.createUser('keys-revoke@example.com');
    const other = await t.createUser('keys-other@example.com');
    const key = (await addKey({ provider: 'MISTRAL', apiKey: 'mistral-owner-7777' }, owner.token)).data!.addApiKey;
    const stolen = await t.graphql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { variables: { id: key.id }, token: other.token });
    expect(stolen.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const otherKeys = await t.graphql<{ apiKeys: Key[] }>('{ apiKeys { id } }', { token: other.token });
    expect(otherKeys.data?.apiKeys).toEqual([]);
    const revoked = await t.graphql<{ revokeApiKey: Key }>('mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', {
      variables: { id: key.id },
      token: owner.token,
    });
    expect(revoked.data?.revokeApiKey.revokedAt).toBeTruthy();
  });

  it('refuses an empty or multi-word key with BAD_USER_INPUT', async () => {
    const empty = await addKey({ provider: 'OPENAI', apiKey: '   ' }, t.adminToken);
    expect(empty.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const spaced = await addKey({ provider: 'OPENAI', apiKey: 'two words' }, t.adminToken);
    expect(spaced.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('key precedence for calls', () => {
  it('uses the caller\u2019s own key, then the configuration\u2019s, then the environment\u2019s', async () => {
    await t.db.sql('delete from specs.intelligence_providers');
    const member = await t.createUser('precedence@example.com');
    const call = () =>
      t.graphql('mutation { callLlm(input: { prompt: "hi" }) { text } }', { token: member.token }).then((response) => {
        expect(response.errors).toBeUndefined();
        return fakes.openai.requests.at(-1)?.headers.authorization;
      });
    const config = await t.graphql<{ createIntelligenceProvider: { id: string } }>(
      'mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }',
      { variables: { input: { name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: CONFIG_KEY, isActive: true } } },
    );
    const configId = config.data!.createIntelligenceProvider.id;

    const own = (await addKey({ provider: 'OPENAI', apiKey: USER_KEY }, member.token)).data!.addApiKey;
    expect(await call()).toBe(`Bearer ${USER_KEY}`);
    const used = await t.graphql<{ apiKeys: Key[] }>(`{ apiKeys { ${KEY} } }`, { token: member.token });
    expect(used.data?.apiKeys.find((key) => key.id === own.id)?.lastUsedAt).toBeTruthy();

    await t.graphql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { variables: { id: own.id }, token: member.token });
    expect(await call()).toBe(`Bearer ${CONFIG_KEY}`);

    await t.graphql('mutation($id: ID!) { updateIntelligenceProvider(id: $id, input: { apiKey: null }) { id } }', { variables: { id: configId } });
    expect(await call()).toBe(`Bearer ${ENV_KEY}`);
  });
});

describe('tampering and rotation', () => {
  it('refuses a ciphertext copied to another row, and a tampered one, with a clear error', async () => {
    const alice = await t.createUser('tamper-a@example.com');
    const bob = await t.createUser('tamper-b@example.com');
    await addKey({ provider: 'CLAUDE', apiKey: 'alice-claude-secret' }, alice.token);
    await addKey({ provider: 'CLAUDE', apiKey: 'bob-claude-secret-0' }, bob.token);
    // Bob's row now holds Alice's ciphertext: decrypting it under Bob's identity must fail.
    await t.db.sql(
      `update auth.api_keys b set ciphertext = a.ciphertext from auth.api_keys a
       where a.user_id = $1 and b.user_id = $2 and a.provider = 'CLAUDE' and b.provider = 'CLAUDE' and a.revoked_at is null and b.revoked_at is null`,
      [alice.id, bob.id],
    );
    await t.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
      variables: { input: { name: `claude-${Date.now()}`, provider: 'CLAUDE', config: { baseUrl: fakes.baseUrls.CLAUDE } } },
    });
    const response = await t.graphql('mutation { callLlm(input: { prompt: "hi", provider: CLAUDE }) { text } }', { token: bob.token });
    expect(response.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(response)).not.toContain('alice-claude-secret');
    expect(fakes.claude.requests).toHaveLength(0);
    expect(response.errors?.[0]?.message).toBe('Your stored key for this provider failed its integrity check and was not used; add it again.');
  });

  it('re-encrypts every stored secret under the newest key, resuming after an interruption', async () => {
    const rotating = await createTestApp();
    try {
      const users = await Promise.all([1, 2, 3, 4, 5].map((i) => rotating.createUser(`rotate-${i}@example.com`)));
      for (const [i, user] of users.entries()) {
        await rotating.graphql('mutation($input: AddApiKeyInput!) { addApiKey(input: $input) { id } }', {
          variables: { input: { provider: 'OPENAI', apiKey: `rotate-secret-${i}-zzzz` } },
          token: user.token,
        });
      }
      await rotating.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
        variables: { input: { name: 'rotated', provider: 'OPENAI', config: {}, apiKey: 'provider-rotate-secret' } },
      });
      const newKey = Buffer.alloc(32, 9).toString('base64');
      const both = new SecretBox(parseMasterKeys(`1:${TEST_MASTER_KEY},2:${newKey}`));

      const interrupted = await rotateSecrets(rotating.db.orm.em.fork(), both, { limit: 3, batchSize: 2 });
      expect(interrupted).toMatchObject({ apiKeys: 3, providerKeys: 0, incomplete: true });
      const versions = await rotating.db.sql<{ key_version: number }>('select key_version from auth.api_keys order by key_version');
      expect(versions.map((row) => row.key_version)).toEqual([1, 1, 2, 2, 2]);

      const resumed = await runNode('src/cli.ts', ['keys:rotate'], {
        DATABASE_URL: rotating.db.url,
        NODE_ENV: 'test',
        AGORA_ENCRYPTION_KEY: `1:${TEST_MASTER_KEY},2:${newKey}`,
      });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain('Rotated 2 user key(s) and 1 provider key(s) to key version 2');
      expect(resumed.stdout).not.toContain(newKey);

      // Only the new key is needed now, and every secret still opens under it.
      const onlyNew = new SecretBox(parseMasterKeys(`2:${newKey}`));
      const again = await rotateSecrets(rotating.db.orm.em.fork(), onlyNew);
      expect(again).toEqual({ apiKeys: 0, providerKeys: 0, incomplete: false });
      const rows = await rotating.db.sql<{ id: string; user_id: string; provider: 'OPENAI'; ciphertext: string; key_version: number }>('select * from auth.api_keys');
      const { apiKeyAad } = await import('../../src/modules/keys/keys.service.ts');
      const opened = rows.map((row) => onlyNew.open({ ciphertext: row.ciphertext, keyVersion: row.key_version }, apiKeyAad(row, row.user_id)));
      expect(opened.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `rotate-secret-${i}-zzzz`));
    } finally {
      await rotating.close();
    }
  });
});
