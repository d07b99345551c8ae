import { describe, expect, it } from 'vitest';
import { grokDriver } from '../../../src/llm/grok/grok.driver.ts';
import { startFakeOpenAiServer } from '../../support/fake-llm/openai-compatible.fake.ts';
import { describeDriverContract, FULL_REQUEST, PROMPT_TEXT, SYSTEM_TEXT } from './driver-contract.ts';

const API_KEY = 'xai-test-grok-SECRET-0123456789abcdef';

describeDriverContract('Grok', {
  driver: () => grokDriver,
  startServer: startFakeOpenAiServer,
  settings: (server) => ({ apiKey: API_KEY, baseUrl: `${server.baseUrl}/v1` }),
  model: 'grok-3-mini',
  chatPath: '/v1/chat/completions',
  unauthorized: (key) => ({ status: 401, body: { code: 'Client specified an invalid argument', error: `Incorrect API key provided: ${key}` } }),
  rateLimitedForOneSecond: { status: 429, headers: { 'retry-after': '1' }, body: { error: 'Too many requests' } },
  expectRequestBody(body, request, streaming) {
    expect(body).toEqual({
      model: request.model,
      messages: [
        { role: 'system', content: SYSTEM_TEXT },
        { role: 'user', content: PROMPT_TEXT },
      ],
      max_tokens: 64,
      temperature: 0.25,
      ...(streaming ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
  },
});

describe('Grok driver specifics', () => {
  it('defaults to grok-3-mini', () => {
    expect(grokDriver.defaultModel).toBe('grok-3-mini');
    expect(grokDriver.requiresApiKey).toBe(true);
  });
});
