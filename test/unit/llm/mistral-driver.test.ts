import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mistralDriver } from '../../../src/llm/mistral/mistral.driver.ts';
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
