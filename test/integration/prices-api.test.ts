// The prices through the GraphQL API: the catalogue's date on `providers`, and an admin's setModelPrice.
// (It runs the app on the test database, like the integration tests.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRICE_CATALOGUE, PRICES_TAKEN_ON } from '../../src/llm/catalogue.ts';
import { createTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
let member: { id: string; token: string };

beforeAll(async () => {
  t = await createTestApp();
  member = await t.createUser('prices-member@example.com');
});
afterAll(async () => {
  await t.close();
});

type Model = { id: string; inputCostPer1kTokens: string; outputCostPer1kTokens: string; cachedInputCostPer1kTokens: string | null; priceSource: string; pricesTakenOn: string; priceSince: string | null; contextWindow: number | null };
type Driver = { id: string; defaultModel: string; pricingNote: string; priceCatalogue: { name: string; version: string; takenOn: string }; models: Model[] };
const MODEL_FIELDS = 'id inputCostPer1kTokens outputCostPer1kTokens cachedInputCostPer1kTokens priceSource pricesTakenOn priceSince contextWindow';

async function configuration(provider: string): Promise<string> {
  const created = await t.graphql<{ createIntelligenceProvider: { id: string } }>(
    'mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }',
    { variables: { input: { name: `prices-${provider}-${Math.random().toString(36).slice(2)}`, provider, config: {} } } },
  );
  expect(created.errors).toBeUndefined();
  return created.data!.createIntelligenceProvider.id;
}

const setPrice = (variables: Record<string, unknown>, token?: string) =>
  t.graphql<{ setModelPrice: { config: { prices?: Record<string, Record<string, unknown>> } } }>(
    'mutation($id: ID!, $model: String!, $price: ModelPriceInput) { setModelPrice(configurationId: $id, model: $model, price: $price) { config } }',
    { variables, token },
  );

describe('providers { models }', () => {
  it('shows the catalogue, its date and each price\u2019s source, with cached-token prices', async () => {
    const response = await t.graphql<{ providers: Driver[] }>(
      `{ providers { id defaultModel pricingNote priceCatalogue { name version takenOn } models { ${MODEL_FIELDS} priceTiers { aboveInputTokens inputCostPer1kTokens } } } }`,
      { token: member.token },
    );
    expect(response.errors).toBeUndefined();
    for (const driver of response.data!.providers) {
      expect(driver.priceCatalogue).toEqual({ ...PRICE_CATALOGUE });
      expect(driver.models.map((model) => model.id)).toContain(driver.defaultModel);
      expect(driver.pricingNote.length).toBeGreaterThan(20);
    }
    const openai = response.data!.providers.find((driver) => driver.id === 'OPENAI')!;
    expect(openai.models.find((model) => model.id === 'gpt-4o-mini')).toMatchObject({
      inputCostPer1kTokens: '0.000150',
      cachedInputCostPer1kTokens: '0.000075',
      priceSource: 'CATALOGUE',
      pricesTakenOn: PRICES_TAKEN_ON,
    });
    const ollama = response.data!.providers.find((driver) => driver.id === 'OLLAMA')!;
    expect(ollama.models[0]).toMatchObject({ id: 'llama3.2', inputCostPer1kTokens: '0.000000', priceSource: 'OVERRIDE' });
  });
});

describe('setModelPrice', () => {
  it('prices a model for a configuration at once, shown by providers { models(configurationId) }, and removes it', async () => {
    const id = await configuration('OPENAI');
    const set = await setPrice({ id, model: 'gpt-from-next-week', price: { inputCostPer1kTokens: '0.002', outputCostPer1kTokens: '0.008', cachedInputCostPer1kTokens: '0.0005', contextWindow: 400000 } });
    expect(set.errors).toBeUndefined();
    expect(set.data?.setModelPrice.config.prices?.['gpt-from-next-week']).toMatchObject({ inputCostPer1kTokens: '0.002', outputCostPer1kTokens: '0.008', setOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });

    const listed = await t.graphql<{ providers: Driver[] }>(`query($id: ID) { providers { id models(configurationId: $id) { ${MODEL_FIELDS} } } }`, { variables: { id } });
    const models = listed.data!.providers.find((driver) => driver.id === 'OPENAI')!.models;
    expect(models[0]).toMatchObject({ id: 'gpt-from-next-week', inputCostPer1kTokens: '0.002000', cachedInputCostPer1kTokens: '0.000500', priceSource: 'CONFIGURATION', contextWindow: 400000 });
    // Other providers, and the listing without a configuration, keep the catalogue's prices.
    expect(listed.data!.providers.find((driver) => driver.id === 'CLAUDE')!.models.every((model) => model.priceSource !== 'CONFIGURATION')).toBe(true);

    const later = await setPrice({ id, model: 'gpt-4o', price: { inputCostPer1kTokens: '0.001', outputCostPer1kTokens: '0.004', since: '2027-01-01T00:00:00Z' } });
    expect(later.data?.setModelPrice.config.prices?.['gpt-4o']).toMatchObject({ since: '2027-01-01T00:00:00.000Z' });
    expect(Object.keys(later.data!.setModelPrice.config.prices!).sort()).toEqual(['gpt-4o', 'gpt-from-next-week']);

    const removed = await setPrice({ id, model: 'gpt-from-next-week', price: null });
    expect(Object.keys(removed.data!.setModelPrice.config.prices!)).toEqual(['gpt-4o']);
    const none = await setPrice({ id, model: 'gpt-4o', price: null });
    expect(none.data?.setModelPrice.config).toEqual({});
  });

  it('refuses a bad price with BAD_USER_INPUT, members with FORBIDDEN, and the local provider', async () => {
    const id = await configuration('CLAUDE');
    const bad = await setPrice({ id, model: 'claude-x', price: { inputCostPer1kTokens: '0.0000000001', outputCostPer1kTokens: '1' } });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toMatch(/config\.prices\.claude-x\.inputCostPer1kTokens/);
    const badId = await setPrice({ id, model: 'claude x', price: { inputCostPer1kTokens: '1', outputCostPer1kTokens: '1' } });
    expect(badId.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const forbidden = await setPrice({ id, model: 'claude-x', price: { inputCostPer1kTokens: '1', outputCostPer1kTokens: '1' } }, member.token);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const local = await setPrice({ id: await configuration('LOCAL'), model: 'rules-v1', price: { inputCostPer1kTokens: '1', outputCostPer1kTokens: '1' } });
    expect(local.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const missing = await setPrice({ id: '00000000-0000-4000-8000-000000000000', model: 'x', price: null });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
