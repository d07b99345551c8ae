import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mistralDriver } from '../../../src/llm/mistral/mistral.driver.ts';
import { usageFromChunk, usageFromRawBody } from '../../../src/llm/mistral/mistral.usage.ts';
import type { FakeServer } from '../../support/fake-llm/fake-http-server.ts';
import { startFakeMistralServer } from '../../support/fake-llm/mistral.fake.ts';
import { describeDriverContract, FULL_REQUEST, PROMPT_TEXT, SYSTEM_TEXT } from './driver-contract.ts';

const API_KEY = 'mistral-test-SECRET-0123456789abcdefABCDEF';

describeDriverContract('Mistral', {
  driver: () => mistralDriver,
  startServer: startFakeMistralServer,
  settings: (server) => ({ apiKey: API_KEY, baseUrl: server.baseUrl }),
  model: 'mistral-small-latest',
  chatPath: '/v1/chat/completions',
  unauthorized: (key) => ({ status: 401, body: { message: `Unauthorized: ${key}`, request_id: 'req-1' } }),
  rateLimitedForOneSecond: { status: 429, headers: { 'retry-after': '1' }, body: { message: 'Requests rate limit exceeded' } },
  expectRequestBody(body, request, streaming) {
    expect(body).toEqual({
      model: request.model,
      messages: [
        { role: 'system', content: SYSTEM_TEXT },
        { role: 'user', content: PROMPT_TEXT },
      ],
      max_tokens: 64,
      temperature: 0.25,
      stream: streaming,
    });
  },
});

describe('Mistral driver specifics', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeMistralServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  it('sends the key as a Bearer token to the configured server', async () => {
    await mistralDriver.generate({ model: 'mistral-small-latest', messages: [{ role: 'user' as const, content: 'hi' }] }, { apiKey: API_KEY, baseUrl: server.baseUrl }, new AbortController().signal);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('maps model_length to length', async () => {
    server.script({ finishReason: 'model_length' });
    const result = await mistralDriver.generate({ model: 'mistral-small-latest', messages: [{ role: 'user' as const, content: 'hi' }] }, { apiKey: API_KEY, baseUrl: server.baseUrl }, new AbortController().signal);
    expect(result.finishReason).toBe('length');
  });
});

describe('Mistral usage: cached prompt tokens', () => {
  it('reads prompt_tokens_details.cached_tokens from the raw body', () => {
    const body = JSON.stringify({ usage: { prompt_tokens: 1000, completion_tokens: 20, total_tokens: 1020, prompt_tokens_details: { cached_tokens: 900 } } });
    expect(usageFromRawBody(body)).toStrictEqual({ inputTokens: 1000, outputTokens: 20, cachedInputTokens: 900 });
  });

  it('leaves the part out when it was not reported or is malformed', () => {
    expect(usageFromRawBody(JSON.stringify({ usage: { prompt_tokens: 10, completion_tokens: 2 } }))).toStrictEqual({ inputTokens: 10, outputTokens: 2 });
    expect(usageFromRawBody(JSON.stringify({ usage: { prompt_tokens: 10, completion_tokens: 2, prompt_tokens_details: 'x' } }))).toStrictEqual({
      inputTokens: 10,
      outputTokens: 2,
    });
    expect(usageFromRawBody(JSON.stringify({ usage: { prompt_tokens: 10, completion_tokens: 2, prompt_tokens_details: { cached_tokens: -1 } } }))).toStrictEqual({
      inputTokens: 10,
      outputTokens: 2,
    });
  });

  it("reads a stream chunk's usage, under the wire name the SDK keeps or a camelCase one", () => {
    expect(usageFromChunk({ promptTokens: 100, completionTokens: 5, prompt_tokens_details: { cached_tokens: 64 } })).toStrictEqual({
      inputTokens: 100,
      outputTokens: 5,
      cachedInputTokens: 64,
    });
    expect(usageFromChunk({ promptTokens: 100, completionTokens: 5, promptTokensDetails: { cachedTokens: 32 } })).toStrictEqual({
      inputTokens: 100,
      outputTokens: 5,
      cachedInputTokens: 32,
    });
    expect(usageFromChunk({ promptTokens: 100, completionTokens: 5 })).toStrictEqual({ inputTokens: 100, outputTokens: 5 });
  });
});
