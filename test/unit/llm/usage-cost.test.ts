// The drivers' usage mappings feed computeCost as they are: cached prompt tokens make a call cheaper.
import { describe, expect, it } from 'vitest';
import { computeCost } from '../../../src/llm/catalogue.ts';
import { toTokenUsage as claudeUsage } from '../../../src/llm/claude/claude.usage.ts';
import { toTokenUsage as openAiUsage } from '../../../src/llm/openai-compatible/openai-compatible.usage.ts';

const AT = new Date('2026-01-15T00:00:00Z');

describe('cost of a call with cached prompt tokens', () => {
  it('OpenAI gpt-4o-mini: the same call costs less when part of the prompt was cached', () => {
    const plain = openAiUsage({ prompt_tokens: 2000, completion_tokens: 100, total_tokens: 2100 });
    const cached = openAiUsage({ prompt_tokens: 2000, completion_tokens: 100, total_tokens: 2100, prompt_tokens_details: { cached_tokens: 1536 } });
    const plainCost = computeCost('OPENAI', 'gpt-4o-mini', plain, AT);
    const cachedCost = computeCost('OPENAI', 'gpt-4o-mini', cached, AT);
    expect(plainCost).not.toBeNull();
    expect(cachedCost).not.toBeNull();
    expect(Number(cachedCost)).toBeLessThan(Number(plainCost));
    // 2000 * 0.15/1M + 100 * 0.6/1M, then 1536 of the prompt at the cached 0.075/1M.
    expect(plainCost).toBe('0.00036000');
    expect(cachedCost).toBe('0.00024480');
  });

  it('Claude: cache reads cost less than the same prompt sent uncached', () => {
    const plain = claudeUsage({ input_tokens: 2000, output_tokens: 100 });
    const cached = claudeUsage({ input_tokens: 200, output_tokens: 100, cache_read_input_tokens: 1800 });
    expect(cached.inputTokens).toBe(plain.inputTokens);
    const plainCost = computeCost('CLAUDE', 'claude-sonnet-4-20250514', plain, AT);
    const cachedCost = computeCost('CLAUDE', 'claude-sonnet-4-20250514', cached, AT);
    expect(plainCost).not.toBeNull();
    expect(Number(cachedCost)).toBeLessThan(Number(plainCost));
  });

  it('OpenAI reasoning tokens, a part of the output, do not change the cost', () => {
    const reasoning = openAiUsage({ prompt_tokens: 100, completion_tokens: 1000, total_tokens: 1100, completion_tokens_details: { reasoning_tokens: 800 } });
    expect(computeCost('OPENAI', 'o3', reasoning, AT)).toBe(computeCost('OPENAI', 'o3', { inputTokens: 100, outputTokens: 1000 }, AT));
  });
});
