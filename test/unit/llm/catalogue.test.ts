import { describe, expect, it } from 'vitest';
import rawCatalogue from '../../../src/llm/models.json' with { type: 'json' };
import {
  computeCost,
  defaultModel,
  findModel,
  hasFixedModelList,
  isKnownModel,
  modelsFor,
  parseCatalogue,
  PRICES_TAKEN_ON,
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
  });

  it('is an exact zero where calls are free: local rules, Ollama (any model), Copilot included models', () => {
    expect(computeCost('LOCAL', 'rules-v1', usage(500, 500))).toBe('0.00000000');
    expect(computeCost('OLLAMA', 'llama3.2', usage(500, 500))).toBe('0.00000000');
    expect(computeCost('OLLAMA', 'some-model-pulled-later', usage(500, 500))).toBe('0.00000000');
    expect(computeCost('COPILOT', 'gpt-4o', usage(500, 500))).toBe('0.00000000');
    expect(computeCost('COPILOT', 'claude-sonnet-4', usage(500, 500))).toBeNull();
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

  it('lists every default among its provider models, with decimal-string prices', () => {
    for (const kind of ALL_KINDS) {
      expect(findModel(kind, defaultModel(kind))).not.toBeNull();
      for (const model of modelsFor(kind)) {
        expect(model.inputCostPer1kTokens).toMatch(/^\d+(\.\d{1,8})?$/);
        expect(model.outputCostPer1kTokens).toMatch(/^\d+(\.\d{1,8})?$/);
      }
    }
    expect(findModel('OPENAI', 'gpt-4o-mini')).toEqual({ id: 'gpt-4o-mini', inputCostPer1kTokens: '0.000150', outputCostPer1kTokens: '0.000600', contextWindow: 128000 });
    expect(PRICES_TAKEN_ON).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('accepts unlisted models only for Ollama, whose models the operator installs', () => {
    expect(ALL_KINDS.filter((kind) => !hasFixedModelList(kind))).toEqual(['OLLAMA']);
    expect(isKnownModel('OLLAMA', 'phi4')).toBe(true);
    expect(isKnownModel('OPENAI', 'gpt-4o')).toBe(true);
    expect(isKnownModel('OPENAI', 'gpt-nonexistent')).toBe(false);
  });

  it('refuses catalogue data with a float price, a missing default or a missing provider', () => {
    const copy = (): { providers: Record<string, { defaultModel: string; models: Array<Record<string, unknown>> }> } =>
      structuredClone(rawCatalogue) as never;
    expect(() => parseCatalogue(copy())).not.toThrow();
    const floatPrice = copy();
    const firstOpenAi = floatPrice.providers.OPENAI?.models[0];
    if (firstOpenAi) firstOpenAi.inputCostPer1kTokens = 0.00015;
    expect(() => parseCatalogue(floatPrice)).toThrow();
    const badDefault = copy();
    if (badDefault.providers.GROK) badDefault.providers.GROK.defaultModel = 'grok-99';
    expect(() => parseCatalogue(badDefault)).toThrow(/defaultModel/);
    const missing = copy();
    delete missing.providers.MISTRAL;
    expect(() => parseCatalogue(missing)).toThrow();
  });
});
