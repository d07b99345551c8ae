import { describe, expect, it } from 'vitest';
import { openAiDriver } from '../../../src/llm/openai/openai.driver.ts';
import { startFakeOpenAiServer } from '../../support/fake-llm/openai-compatible.fake.ts';
import { describeDriverContract, FULL_REQUEST, PROMPT_TEXT, SYSTEM_TEXT } from './driver-contract.ts';

const API_KEY = 'sk-test-openai-SECRET-0123456789abcdef';

describeDriverContract('OpenAI', {
  driver: () => openAiDriver,
  startServer: startFakeOpenAiServer,
  settings: (server) => ({ apiKey: API_KEY, baseUrl: `${server.baseUrl}/v1` }),
  model: 'gpt-4o-mini',
  chatPath: '/v1/chat/completions',
  unauthorized: (key) => ({
    status: 401,
    body: { error: { message: `Incorrect API key provided: ${key}.`, type: 'invalid_request_error', code: 'invalid_api_key' } },
  }),
  rateLimitedForOneSecond: {
    status: 429,
    headers: { 'retry-after-ms': '1000', 'retry-after': '1' },
    body: { error: { message: 'Rate limit reached for gpt-4o-mini', type: 'requests', code: 'rate_limit_exceeded' } },
  },
  expectRequestBody(body, request, streaming) {
    expect(body).toEqual({
      model: request.model,
      messages: [
        { role: 'system', content: SYSTEM_TEXT },
        { role: 'user', content: PROMPT_TEXT },
      ],
      max_completion_tokens: 64,
      temperature: 0.25,
      ...(streaming ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
  },
});

describe('OpenAI driver specifics', () => {
  it('needs an API key and says so before any request', async () => {
    const error = await openAiDriver
      .generate({ model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] }, { apiKey: null, baseUrl: 'http://127.0.0.1:9/v1' }, new AbortController().signal)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'API_KEY_REQUIRED', provider: 'OPENAI' });
  });
});
