import { describe, expect, it } from 'vitest';
import { computeCost } from '../../../src/llm/catalogue.ts';
import { parseProviderConfig } from '../../../src/modules/providers/provider-config.ts';

// config.prices: how an admin prices models at run time, validated like the rest of a configuration.
const refusal = (kind: Parameters<typeof parseProviderConfig>[0], config: unknown) => {
  try {
    parseProviderConfig(kind, config);
  } catch (error) {
    return { message: (error as Error).message };
  }
  throw new Error('expected a refusal');
};

describe('config.prices', () => {
  it('is accepted on every remote kind and prices its calls', () => {
    const prices = {
      'gpt-4o-mini': { inputCostPer1kTokens: '0.0001', outputCostPer1kTokens: '0.0004', cachedInputCostPer1kTokens: '0.00005' },
      '*': { inputCostPer1kTokens: '0', outputCostPer1kTokens: '0', since: '2026-12-01', setOn: '2026-12-01' },
    };
    const config = parseProviderConfig('OPENAI', { model: 'gpt-4o-mini', prices });
    expect(config.prices).toEqual(prices);
    expect(computeCost('OPENAI', 'gpt-4o-mini', { inputTokens: 1000, outputTokens: 1000, cachedInputTokens: 1000 }, undefined, config.prices)).toBe('0.00045000');
    expect(parseProviderConfig('OLLAMA', { prices: { 'qwen2.5:7b': { inputCostPer1kTokens: '0.00001', outputCostPer1kTokens: '0.00002', contextWindow: 32768 } } }).prices).toBeDefined();
  });

  it('refuses floats, negative or over-precise prices, unknown fields and bad model ids, naming the field', () => {
    expect(refusal('OPENAI', { prices: { 'gpt-4o': { inputCostPer1kTokens: 0.001, outputCostPer1kTokens: '0.004' } } }).message).toMatch(
      /^config\.prices\.gpt-4o\.inputCostPer1kTokens: /,
    );
    expect(refusal('OPENAI', { prices: { 'gpt-4o': { inputCostPer1kTokens: '-1', outputCostPer1kTokens: '0.004' } } }).message).toMatch(/decimal/);
    expect(refusal('OPENAI', { prices: { 'gpt-4o': { inputCostPer1kTokens: '0.000000001', outputCostPer1kTokens: '0.004' } } }).message).toMatch(/8 decimals/);
    expect(refusal('OPENAI', { prices: { 'gpt-4o': { inputCostPer1kTokens: '0.001' } } }).message).toMatch(/outputCostPer1kTokens/);
    expect(refusal('OPENAI', { prices: { 'gpt-4o': { inputCostPer1kTokens: '0.001', outputCostPer1kTokens: '0.004', discount: '0.5' } } }).message).toMatch(/discount/);
    expect(refusal('OPENAI', { prices: { 'gpt 4o': { inputCostPer1kTokens: '0.001', outputCostPer1kTokens: '0.004' } } }).message).toMatch(/config\.prices/);
    expect(refusal('OPENAI', { prices: { 'gpt-4o': { inputCostPer1kTokens: '0.001', outputCostPer1kTokens: '0.004', since: 'yesterday' } } }).message).toMatch(/since/);
  });

  it('is not a key of the local provider, which buys no tokens', () => {
    expect(refusal('LOCAL', { prices: {} }).message).toMatch(/unknown key\(s\) for LOCAL: prices/);
  });
});
