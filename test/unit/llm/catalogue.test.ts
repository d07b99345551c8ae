import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import rawCatalogue from '../../../src/llm/models.json' with { type: 'json' };
import {
  computeCost,
  costUpperBound,
  defaultModel,
  findModel,
  hasFixedModelList,
  isKnownModel,
  modelsFor,
  parseCatalogue,
  PRICE_CATALOGUE,
  PRICES_TAKEN_ON,
  pricingNote,
} from '../../../src/llm/catalogue.ts';
import type { ProviderKind } from '../../../src/llm/types.ts';

const ALL_KINDS: ProviderKind[] = ['LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'];
const usage = (inputTokens: number | null, outputTokens: number | null) => ({ inputTokens, outputTokens });

describe('computeCost', () => {
  it('prices a call exactly: 1234 in and 567 out on gpt-4o-mini is 0.00052530', () => {
    // 1234 x 0.00015 / 1000 = 0.0001851 and 567 x 0.0006 / 1000 = 0.0003402
    expect(computeCost('OPENAI', 'gpt-4o-mini', usage(1234, 567))).toBe('0.00052530');
  });

  it('adds input and output at their own prices', () => {
    expect(computeCost('CLAUDE', 'claude-sonnet-4-20250514', usage(1000, 0))).toBe('0.00300000');
    expect(computeCost('CLAUDE', 'claude-sonnet-4-20250514', usage(0, 1000))).toBe('0.01500000');
    expect(computeCost('CLAUDE', 'claude-sonnet-4-20250514', usage(1000, 1000))).toBe('0.01800000');
  });

  it('stays exact where floats drift: 3 x 0.1 cents per 1k tokens', () => {
    // In floats 3 * 0.0001 / 1000 is 3.0000000000000004e-7.
    expect(3 * 0.0001 / 1000).not.toBe(0.0000003);
    expect(computeCost('OPENAI', 'gpt-4.1-nano', usage(3, 0))).toBe('0.00000030');
  });

  it('rounds half up once, at the eighth decimal place', () => {
    // One token of gemini-2.0-flash-lite input costs 0.000000075.
    expect(computeCost('GEMINI', 'gemini-2.0-flash-lite', usage(1, 0))).toBe('0.00000008');
    // Two tokens cost exactly 0.00000015: nothing to round.
    expect(computeCost('GEMINI', 'gemini-2.0-flash-lite', usage(2, 0))).toBe('0.00000015');
    // 0.000000075 + 0.0000003 = 0.000000375 rounds up to 0.00000038.
    expect(computeCost('GEMINI', 'gemini-2.0-flash-lite', usage(1, 1))).toBe('0.00000038');
  });

  it('handles large token counts without losing digits', () => {
    expect(computeCost('CLAUDE', 'claude-opus-4-20250514', usage(1_000_000, 1_000_000))).toBe('90.00000000');
    expect(computeCost('OPENAI', 'gpt-4o', usage(123_456_789, 987_654_321))).toBe('10185.18518250');
  });

  it('is null when a token count is unknown, never 0', () => {
    expect(computeCost('OPENAI', 'gpt-4o-mini', usage(null, 10))).toBeNull();
    expect(computeCost('OPENAI', 'gpt-4o-mini', usage(10, null))).toBeNull();
    expect(computeCost('OLLAMA', 'llama3.2', usage(null, null))).toBeNull();
  });

  it('is null for a model without a price, and for impossible token counts', () => {
    expect(computeCost('OPENAI', 'gpt-unknown', usage(10, 10))).toBeNull();
    expect(computeCost('OPENAI', 'gpt-4o-mini', usage(-1, 10))).toBeNull();
    expect(computeCost('OPENAI', 'gpt-4o-mini', usage(1.5, 10))).toBeNull();
    // More cached tokens than prompt tokens, or more reasoning than output, cannot be.
    expect(computeCost('OPENAI', 'gpt-4o-mini', { inputTokens: 10, outputTokens: 10, cachedInputTokens: 11 })).toBeNull();
    expect(computeCost('OPENAI', 'gpt-4o-mini', { inputTokens: 10, outputTokens: 10, cachedInputTokens: 6, cacheWriteInputTokens: 5 })).toBeNull();
    expect(computeCost('OPENAI', 'o3', { inputTokens: 10, outputTokens: 10, reasoningTokens: 11 })).toBeNull();
    expect(computeCost('OPENAI', 'gpt-4o-mini', { inputTokens: 10, outputTokens: 10, cachedInputTokens: -1 })).toBeNull();
    // An embedding model has no output price: not a chat price, so unknown rather than a guess.
    expect(computeCost('OPENAI', 'text-embedding-3-small', usage(10, 0))).toBeNull();
    expect(computeCost('OPENAI', 'gpt-4o-mini', usage(10, 10), new Date(Number.NaN))).toBeNull();
  });

  it('is an exact zero where calls are free: local rules, Ollama (any model), Copilot included models', () => {
    expect(computeCost('LOCAL', 'rules-v1', usage(500, 500))).toBe('0.00000000');
    expect(computeCost('OLLAMA', 'llama3.2', usage(500, 500))).toBe('0.00000000');
    expect(computeCost('OLLAMA', 'some-model-pulled-later', usage(500, 500))).toBe('0.00000000');
    expect(computeCost('COPILOT', 'gpt-4o', usage(500, 500))).toBe('0.00000000');
    expect(computeCost('COPILOT', 'gpt-4o-mini', usage(500, 500))).toBe('0.00000000');
    expect(computeCost('COPILOT', 'claude-sonnet-4', usage(500, 500))).toBeNull();
  });

  it('prices Copilot premium models at GitHub\u2019s published per-model rates', () => {
    // gpt-5-mini on Copilot: USD 0.25 in, 2 out per 1M tokens.
    expect(computeCost('COPILOT', 'gpt-5-mini', usage(1000, 1000))).toBe('0.00225000');
    expect(findModel('COPILOT', 'claude-haiku-4.5')).toMatchObject({ inputCostPer1kTokens: '0.001000', outputCostPer1kTokens: '0.005000', priceSource: 'CATALOGUE' });
  });

  it('prices cached prompt tokens at their own rate, as a part of inputTokens', () => {
    // gpt-4o-mini: 0.15 per 1M uncached, 0.075 cached, 0.6 out. 600 x 0.15 + 400 x 0.075 + 100 x 0.6 = 180 (per 1M).
    expect(computeCost('OPENAI', 'gpt-4o-mini', { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 400 })).toBe('0.00018000');
    // Absent and null parts count as none.
    expect(computeCost('OPENAI', 'gpt-4o-mini', { inputTokens: 1000, outputTokens: 100, cachedInputTokens: null })).toBe(
      computeCost('OPENAI', 'gpt-4o-mini', usage(1000, 100)),
    );
    // Anthropic: 3 per 1M uncached, 0.3 cache read, 3.75 cache write, 15 out.
    // 100 x 3 + 500 x 0.3 + 400 x 3.75 + 50 x 15 = 300 + 150 + 1500 + 750 = 2700 (per 1M).
    expect(computeCost('CLAUDE', 'claude-sonnet-4-20250514', { inputTokens: 1000, outputTokens: 50, cachedInputTokens: 500, cacheWriteInputTokens: 400 })).toBe('0.00270000');
    // A model without a cache price charges cached tokens the input price.
    expect(computeCost('MISTRAL', 'mistral-small-latest', { inputTokens: 1000, outputTokens: 0, cachedInputTokens: 1000 })).toBe(
      computeCost('MISTRAL', 'mistral-small-latest', usage(1000, 0)),
    );
  });

  it('prices reasoning tokens as output (none of our providers has a reasoning rate of its own)', () => {
    expect(computeCost('OPENAI', 'o3', { inputTokens: 100, outputTokens: 1000, reasoningTokens: 800 })).toBe(computeCost('OPENAI', 'o3', usage(100, 1000)));
  });

  it('charges the long-context price for the whole call once the prompt passes the tier', () => {
    // claude-sonnet-4-5: 3 / 15 per 1M up to 200k prompt tokens, 6 / 22.5 for all tokens past that.
    expect(computeCost('CLAUDE', 'claude-sonnet-4-5-20250929', usage(200_000, 1000))).toBe('0.61500000');
    expect(computeCost('CLAUDE', 'claude-sonnet-4-5-20250929', usage(200_001, 1000))).toBe('1.22250600');
    expect(findModel('CLAUDE', 'claude-sonnet-4-5-20250929')?.priceTiers).toEqual([
      { aboveInputTokens: 200_000, inputCostPer1kTokens: '0.006000', outputCostPer1kTokens: '0.022500', cachedInputCostPer1kTokens: '0.000600', cacheWriteCostPer1kTokens: '0.007500' },
    ]);
  });

  it('prices a call at the price in force when it was made', () => {
    // Mistral moved mistral-medium-latest from 0.4 / 2 to 1.5 / 7.5 per 1M on 2026-06-16 (UTC).
    const thousandEach = usage(1000, 1000);
    expect(computeCost('MISTRAL', 'mistral-medium-latest', thousandEach, new Date('2026-06-15T23:59:59.999Z'))).toBe('0.00240000');
    expect(computeCost('MISTRAL', 'mistral-medium-latest', thousandEach, new Date('2026-06-16T00:00:00Z'))).toBe('0.00900000');
    expect(computeCost('MISTRAL', 'mistral-medium-latest', thousandEach)).toBe('0.00900000');
    // OpenAI cut o3 from 10 / 40 to 2 / 8 on 2025-06-10.
    expect(computeCost('OPENAI', 'o3', thousandEach, new Date('2025-06-01T00:00:00Z'))).toBe('0.05000000');
    expect(computeCost('OPENAI', 'o3', thousandEach, new Date('2025-07-01T00:00:00Z'))).toBe('0.01000000');
    expect(findModel('MISTRAL', 'mistral-medium-latest')).toMatchObject({ inputCostPer1kTokens: '0.001500', priceSince: '2026-06-16' });
  });

  it('prices dated snapshots and aliases by the catalogue\u2019s own matching', () => {
    expect(computeCost('OPENAI', 'gpt-4o-mini-2024-07-18', usage(1234, 567))).toBe('0.00052530');
    expect(findModel('CLAUDE', 'claude-sonnet-4-20250514')).toMatchObject({ catalogueId: 'claude-sonnet-4-0', priceSource: 'CATALOGUE' });
    // Google's catalogue list holds Vertex's Claude models; the Gemini API serves none of them.
    expect(findModel('GEMINI', 'claude-sonnet-4-20250514')).toBeNull();
  });
});

describe('prices a configuration sets (config.prices)', () => {
  const prices = {
    'gpt-4o-mini': { inputCostPer1kTokens: '0.0001', outputCostPer1kTokens: '0.0004' },
    'gpt-from-next-week': { inputCostPer1kTokens: '0.002', outputCostPer1kTokens: '0.008', cachedInputCostPer1kTokens: '0.0005', contextWindow: 500000, setOn: '2026-12-01' },
    'gpt-4o': { inputCostPer1kTokens: '0.001', outputCostPer1kTokens: '0.004', since: '2026-12-01T12:00:00Z' },
  };

  it('come before the catalogue, for the model named and for a new one', () => {
    expect(computeCost('OPENAI', 'gpt-4o-mini', usage(1000, 1000), undefined, prices)).toBe('0.00050000');
    expect(computeCost('OPENAI', 'gpt-from-next-week', usage(1000, 1000), undefined, prices)).toBe('0.01000000');
    expect(computeCost('OPENAI', 'gpt-from-next-week', { inputTokens: 1000, outputTokens: 0, cachedInputTokens: 1000 }, undefined, prices)).toBe('0.00050000');
    // Without them, the catalogue (or nothing).
    expect(computeCost('OPENAI', 'gpt-from-next-week', usage(1000, 1000))).toBeNull();
    expect(findModel('OPENAI', 'gpt-from-next-week', prices)).toMatchObject({ priceSource: 'CONFIGURATION', contextWindow: 500000, pricesTakenOn: '2026-12-01' });
    expect(modelsFor('OPENAI', prices).slice(0, 3).map((model) => [model.id, model.priceSource])).toEqual([
      ['gpt-4o-mini', 'CONFIGURATION'],
      ['gpt-from-next-week', 'CONFIGURATION'],
      ['gpt-4o', 'CONFIGURATION'],
    ]);
  });

  it('apply from their `since` on; before it the catalogue\u2019s price stands', () => {
    expect(computeCost('OPENAI', 'gpt-4o', usage(1000, 1000), new Date('2026-12-01T11:59:59Z'), prices)).toBe('0.01250000');
    expect(computeCost('OPENAI', 'gpt-4o', usage(1000, 1000), new Date('2026-12-01T12:00:00Z'), prices)).toBe('0.00500000');
  });

  it('"*" prices every model the configuration does not name (a self-hosted endpoint costs nothing)', () => {
    const free = { '*': { inputCostPer1kTokens: '0', outputCostPer1kTokens: '0' }, 'gpt-4o': prices['gpt-4o-mini'] };
    expect(computeCost('OPENAI', 'anything-served-there', usage(1000, 1000), undefined, free)).toBe('0.00000000');
    expect(computeCost('OPENAI', 'gpt-4o', usage(1000, 1000), undefined, free)).toBe('0.00050000');
  });
});

describe('costUpperBound', () => {
  it('is never below the cost, however the prompt splits into cached, cache-written and plain tokens', () => {
    const bound = costUpperBound('CLAUDE', 'claude-sonnet-4-20250514', { inputTokens: 1000, outputTokens: 500 })!;
    // Every prompt token at the cache-write price (3.75 per 1M), every output token at 15.
    expect(bound).toBe('0.01125000');
    for (const [cached, written] of [[0, 0], [1000, 0], [0, 1000], [300, 700]] as const) {
      const cost = computeCost('CLAUDE', 'claude-sonnet-4-20250514', { inputTokens: 1000, outputTokens: 500, cachedInputTokens: cached, cacheWriteInputTokens: written })!;
      expect(Number(cost)).toBeLessThanOrEqual(Number(bound));
    }
  });

  it('takes the highest tier the prompt can reach, rounds up, and is null without a price', () => {
    expect(costUpperBound('CLAUDE', 'claude-sonnet-4-5-20250929', { inputTokens: 300_000, outputTokens: 0 })).toBe('2.25000000');
    expect(costUpperBound('GEMINI', 'gemini-2.0-flash-lite', { inputTokens: 1, outputTokens: 0 })).toBe('0.00000008');
    expect(costUpperBound('GEMINI', 'gemini-2.0-flash-lite', { inputTokens: 3, outputTokens: 0 })).toBe('0.00000023');
    expect(costUpperBound('OPENAI', 'gpt-unknown', { inputTokens: 1, outputTokens: 1 })).toBeNull();
    expect(costUpperBound('OLLAMA', 'anything', { inputTokens: 100, outputTokens: 100 })).toBe('0.00000000');
  });
});

describe('the model catalogue', () => {
  it('names the defaults the product expects', () => {
    expect(Object.fromEntries(ALL_KINDS.map((kind) => [kind, defaultModel(kind)]))).toEqual({
      LOCAL: 'rules-v1',
      OPENAI: 'gpt-4o-mini',
      CLAUDE: 'claude-sonnet-4-20250514',
      GEMINI: 'gemini-2.0-flash',
      COPILOT: 'gpt-4o',
      GROK: 'grok-3-mini',
      OLLAMA: 'llama3.2',
      MISTRAL: 'mistral-small-latest',
    });
  });

  it('lists every default first among its provider\u2019s models, with decimal-string prices and a note', () => {
    for (const kind of ALL_KINDS) {
      expect(modelsFor(kind)[0]?.id).toBe(defaultModel(kind));
      expect(findModel(kind, defaultModel(kind))).not.toBeNull();
      expect(pricingNote(kind).length).toBeGreaterThan(20);
      const ids = modelsFor(kind).map((model) => model.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const model of modelsFor(kind)) {
        expect(model.inputCostPer1kTokens).toMatch(/^\d+\.\d{6,8}$/);
        expect(model.outputCostPer1kTokens).toMatch(/^\d+\.\d{6,8}$/);
        expect(model.pricesTakenOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(findModel(kind, model.id)).toEqual(model);
      }
    }
    expect(findModel('OPENAI', 'gpt-4o-mini')).toMatchObject({
      id: 'gpt-4o-mini',
      inputCostPer1kTokens: '0.000150',
      outputCostPer1kTokens: '0.000600',
      cachedInputCostPer1kTokens: '0.000075',
      contextWindow: 128000,
      priceSource: 'CATALOGUE',
      pricesTakenOn: PRICES_TAKEN_ON,
    });
  });

  it('keeps every model id the tests and fakes use known, with a price', () => {
    const used: [ProviderKind, string][] = [
      ['OPENAI', 'gpt-4o-mini'],
      ['OPENAI', 'gpt-4o'],
      ['OPENAI', 'gpt-4.1-nano'],
      ['CLAUDE', 'claude-3-5-haiku-latest'],
      ['CLAUDE', 'claude-sonnet-4-20250514'],
      ['CLAUDE', 'claude-opus-4-20250514'],
      ['GEMINI', 'gemini-2.5-flash'],
      ['GEMINI', 'gemini-2.0-flash'],
      ['GEMINI', 'gemini-2.0-flash-lite'],
      ['MISTRAL', 'mistral-small-latest'],
      ['GROK', 'grok-3-mini'],
      ['COPILOT', 'gpt-4o'],
      ['OLLAMA', 'llama3.2'],
      ['OLLAMA', 'qwen2.5'],
      ['LOCAL', 'rules-v1'],
    ];
    for (const [kind, id] of used) {
      expect(modelsFor(kind).map((model) => model.id), `${kind} ${id}`).toContain(id);
      expect(computeCost(kind, id, usage(10, 10)), `${kind} ${id}`).not.toBeNull();
    }
  });

  it('shows the catalogue it uses and its date, matching the installed package', () => {
    expect(PRICE_CATALOGUE).toEqual({ name: '@pydantic/genai-prices', version: rawCatalogue.catalogue.version, takenOn: rawCatalogue.catalogue.takenOn });
    expect(PRICES_TAKEN_ON).toBe(PRICE_CATALOGUE.takenOn);
    // Upgrading the package means reviewing the prices and dating them again in models.json.
    const entry = createRequire(import.meta.url).resolve('@pydantic/genai-prices');
    const installed = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(PRICE_CATALOGUE.version);
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies['@pydantic/genai-prices']).toBe(PRICE_CATALOGUE.version);
  });

  it('accepts unlisted models only for Ollama, whose models the operator installs', () => {
    expect(ALL_KINDS.filter((kind) => !hasFixedModelList(kind))).toEqual(['OLLAMA']);
    expect(isKnownModel('OLLAMA', 'phi4')).toBe(true);
    expect(isKnownModel('OPENAI', 'gpt-4o')).toBe(true);
    expect(isKnownModel('OPENAI', 'gpt-4o-2024-11-20')).toBe(true);
    expect(isKnownModel('OPENAI', 'gpt-nonexistent')).toBe(false);
  });

  it('refuses override data with a float price, a price without source, a bad default, an unknown provider or a missing kind', () => {
    type Raw = { catalogue: { version: string }; providers: Record<string, { catalogueProvider: string | null; defaultModel: string; models: Array<Record<string, unknown>> }> };
    const copy = (): Raw => structuredClone(rawCatalogue) as never;
    expect(() => parseCatalogue(copy())).not.toThrow();
    const floatPrice = copy();
    (floatPrice.providers.LOCAL!.models[0]!.prices as Record<string, unknown>).inputCostPer1kTokens = 0.00015;
    expect(() => parseCatalogue(floatPrice)).toThrow();
    const unsourced = copy();
    unsourced.providers.OPENAI!.models.push({ id: 'gpt-4o', contextWindow: 1 });
    expect(() => parseCatalogue(unsourced)).toThrow(/source/);
    const badDefault = copy();
    badDefault.providers.GROK!.defaultModel = 'grok-99';
    expect(() => parseCatalogue(badDefault)).toThrow(/defaultModel/);
    const unpricedListing = copy();
    unpricedListing.providers.MISTRAL!.models.push({ id: 'mistral-from-nowhere' });
    expect(() => parseCatalogue(unpricedListing)).toThrow(/mistral-from-nowhere/);
    const unknownProvider = copy();
    unknownProvider.providers.GROK!.catalogueProvider = 'grok-inc';
    expect(() => parseCatalogue(unknownProvider)).toThrow(/grok-inc/);
    const missing = copy();
    delete missing.providers.MISTRAL;
    expect(() => parseCatalogue(missing)).toThrow();
  });
});
