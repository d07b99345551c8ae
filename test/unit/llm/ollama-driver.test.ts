import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ollamaDriver } from '../../../src/llm/ollama/ollama.driver.ts';
import { toTokenUsage } from '../../../src/llm/ollama/ollama.usage.ts';
import type { FakeServer } from '../../support/fake-llm/fake-http-server.ts';
import { startFakeOllamaServer } from '../../support/fake-llm/ollama.fake.ts';
import { describeDriverContract, FULL_REQUEST, PROMPT_TEXT, SYSTEM_TEXT, generateError } from './driver-contract.ts';

// Ollama itself needs no key; this is the key of an authenticating proxy in front of it.
const PROXY_KEY = 'ollama-proxy-SECRET-0123456789abcdef';

describeDriverContract('Ollama', {
  driver: () => ollamaDriver,
  startServer: startFakeOllamaServer,
  settings: (server) => ({ apiKey: PROXY_KEY, baseUrl: server.baseUrl }),
  model: 'llama3.2',
  chatPath: '/api/chat',
  unauthorized: (key) => ({ status: 401, body: { error: `unauthorized key ${key}` } }),
  rateLimitedForOneSecond: { status: 429, headers: { 'retry-after': '1' }, body: { error: 'too many requests' } },
  expectRequestBody(body, request, streaming) {
    expect(body).toEqual({
      model: request.model,
      messages: [
        { role: 'system', content: SYSTEM_TEXT },
        { role: 'user', content: PROMPT_TEXT },
      ],
      options: { num_predict: 64, temperature: 0.25 },
      stream: streaming,
    });
  },
});

describe('Ollama driver specifics', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeOllamaServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());
  const signal = () => new AbortController().signal;
  const request = { model: 'qwen2.5', messages: [{ role: 'user' as const, content: 'hi' }] };

  it('works without any key and sends no Authorization header', async () => {
    expect(ollamaDriver.requiresApiKey).toBe(false);
    const result = await ollamaDriver.generate(request, { apiKey: null, baseUrl: server.baseUrl }, signal());
    expect(result.text).toBe('Hello from the fake provider.');
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('reports a model that was never pulled as a bad request with advice', async () => {
    server.failNext({ status: 404, body: { error: "model 'qwen2.5' not found, try pulling it first" } });
    const error = await generateError(ollamaDriver.generate(request, { apiKey: null, baseUrl: server.baseUrl }, signal()));
    expect(error).toMatchObject({ code: 'BAD_REQUEST', statusCode: 404, retryable: false });
    expect(error.message).toMatch(/Pull it/);
  });

  it('reports a server that is not running as a retryable connection failure', async () => {
    const stopped = await startFakeOllamaServer();
    const baseUrl = stopped.baseUrl;
    await stopped.close();
    const error = await generateError(ollamaDriver.generate(request, { apiKey: null, baseUrl }, signal()));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true, statusCode: null });
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('keeps prompt tokens unknown when Ollama served the prompt from its cache', () => {
    // Ollama leaves prompt_eval_count out in that case but still counts the answer.
    expect(toTokenUsage({ eval_count: 5 })).toEqual({ inputTokens: null, outputTokens: 5 });
  });
});
