import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../../src/graphql/schema.ts';
import { defaultModel, modelsFor } from '../../src/llm/catalogue.ts';
import { ENVIRONMENT_KEY_VARIABLES, KEY_KINDS, PROVIDER_KIND_INFO, PROVIDER_KINDS, providerName } from '../../src/llm/provider-kinds.ts';
import { getDriver, listDrivers } from '../../src/llm/registry.ts';
import { loadConfig } from '../../src/config/config.ts';
import { parseProviderConfig } from '../../src/modules/providers/provider-config.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// The list of kinds in src/llm/provider-kinds.ts is the only place a kind is declared: everything that
// names kinds must follow it. Each check fails when a kind is missing in one of those places.
let db: TestDatabase;
let fakes: FakeLlmServers;

beforeAll(async () => {
  db = await createTestDatabase();
  fakes = await startFakeLlmServers();
});
afterAll(async () => {
  await fakes.close();
  await db.drop();
});

const enumValues = (name: string) => {
  const type = buildSchema().getType(name);
  if (!type || !('getValues' in type)) throw new Error(`${name} is not an enum`);
  return type.getValues().map((value) => value.name);
};

describe('one list of provider kinds', () => {
  it('gives every kind a driver, a display name, catalogue models and a config schema', () => {
    expect(listDrivers().map((driver) => driver.kind)).toEqual(PROVIDER_KINDS);
    for (const kind of PROVIDER_KINDS) {
      expect(getDriver(kind).kind).toBe(kind);
      expect(providerName(kind)).toBe(PROVIDER_KIND_INFO[kind].name);
      expect(modelsFor(kind).map((model) => model.id)).toContain(defaultModel(kind));
      expect(parseProviderConfig(kind, { model: defaultModel(kind) })).toEqual({ model: defaultModel(kind) });
      for (const key of PROVIDER_KIND_INFO[kind].extraConfigKeys) {
        expect(parseProviderConfig(kind, { [key]: 'http://127.0.0.1:1' })).toEqual({ [key]: 'http://127.0.0.1:1' });
      }
    }
  });

  it('serves every kind in the GraphQL enums (the printed schema sorts them)', () => {
    expect(enumValues('ProviderKind')).toEqual([...PROVIDER_KINDS].sort());
    expect(enumValues('KeyKind')).toEqual([...KEY_KINDS].sort());
    expect(KEY_KINDS).toEqual([...PROVIDER_KINDS.filter((kind) => kind !== 'LOCAL'), 'GITHUB']);
  });

  it('reads each kind\u2019s key of last resort from its environment variable', () => {
    const environment = Object.fromEntries(ENVIRONMENT_KEY_VARIABLES.map(({ variable }) => [variable, `key-for-${variable}`]));
    const config = loadConfig({ NODE_ENV: 'test', ...environment });
    for (const { kind, variable } of ENVIRONMENT_KEY_VARIABLES) expect(config.providerKeys[kind]).toBe(`key-for-${variable}`);
    expect(ENVIRONMENT_KEY_VARIABLES.map(({ kind }) => kind)).toEqual(['OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'MISTRAL']);
    const sample = readFileSync(new URL('../../.env.sample', import.meta.url), 'utf8');
    for (const { variable } of ENVIRONMENT_KEY_VARIABLES) expect(sample).toMatch(new RegExp(`^${variable}=`, 'm'));
  });

  it('has a fake server for every remote kind', () => {
    for (const kind of PROVIDER_KINDS) {
      if (!PROVIDER_KIND_INFO[kind].remote) continue;
      expect(fakes.serverFor(kind as Exclude<typeof kind, 'LOCAL'>).baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
  });

  it('lets the database accept exactly the listed kinds in every provider column', async () => {
    const constraints = await db.sql<{ table: string; definition: string }>(
      `select conrelid::regclass::text as table, pg_get_constraintdef(oid) as definition
       from pg_constraint where contype = 'c' and pg_get_constraintdef(oid) ~ 'provider'`,
    );
    const tables = constraints.map((row) => row.table).sort();
    expect(tables).toEqual(
      [
        'auth.api_keys',
        'specs.analysis_runs',
        'specs.intelligence_providers',
        'specs.projects',
        'specs.recommendations',
        'specs.usage_daily',
        'specs.usage_daily_tags',
        'specs.usage_daily_totals',
        'specs.usage_hourly',
        'specs.usage_hourly_tags',
        'specs.usage_records',
      ].sort(),
    );
    for (const { table, definition } of constraints) {
      const allowed = [...definition.matchAll(/'([A-Z_]+)'::/g)].map((match) => match[1]).sort();
      const expected = table === 'auth.api_keys' ? [...KEY_KINDS].sort() : [...PROVIDER_KINDS].sort();
      expect({ table, allowed }).toEqual({ table, allowed: expected });
    }
  });
});
