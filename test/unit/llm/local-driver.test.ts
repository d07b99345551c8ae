import { describe, expect, it } from 'vitest';
import { ProviderCallError } from '../../../src/llm/errors.ts';
import { localDriver } from '../../../src/llm/local/local.driver.ts';

const settings = { apiKey: null };
const request = { model: 'rules-v1', messages: [{ role: 'user' as const, content: 'What is the capital of France?' }] };

describe('local driver', () => {
  it('is free, key-less and serves the rules-v1 model', () => {
    expect(localDriver).toMatchObject({ kind: 'LOCAL', defaultModel: 'rules-v1', requiresApiKey: false });
  });

  it('refuses a free-form prompt with BAD_REQUEST and a message a person can act on', async () => {
    const error = await localDriver.generate(request, settings, new AbortController().signal).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderCallError);
    expect(error).toMatchObject({
      code: 'BAD_REQUEST',
      provider: 'LOCAL',
      retryable: false,
      message: 'The local provider is rule-based and answers no free-form prompt; choose another provider.',
    });
  });

  it('refuses to stream at the call, before any iteration', () => {
    expect(() => localDriver.stream(request, settings, new AbortController().signal)).toThrow(/rule-based/);
  });
});
