import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { geminiDriver } from '../../../src/llm/gemini/gemini.driver.ts';
import { toTokenUsage } from '../../../src/llm/gemini/gemini.usage.ts';
import type { FakeServer } from '../../support/fake-llm/fake-http-server.ts';
import { startFakeGeminiServer } from '../../support/fake-llm/gemini.fake.ts';
import { collect, describeDriverContract, expectNoSecret, FULL_REQUEST, PROMPT_TEXT, SYSTEM_TEXT, generateError } from './driver-contract.ts';

const API_KEY = 'AIzaSyTestGeminiSECRET0123456789abcdefgh';

describeDriverContract('Gemini', {
  driver: () => geminiDriver,
  startServer: startFakeGeminiServer,
  settings: (server) => ({ apiKey: API_KEY, baseUrl: server.baseUrl }),
  model: 'gemini-2.0-flash',
  chatPath: '/v1beta/models/',
  unauthorized: (key) => ({ status: 401, body: { error: { code: 401, message: `Request had invalid authentication credentials: ${key}`, status: 'UNAUTHENTICATED' } } }),
  // Gemini says how long to wait in a RetryInfo detail of the body, not in a header.
  rateLimitedForOneSecond: {
    status: 429,
    body: {
      error: {
        code: 429,
        message: 'You exceeded your current quota.',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' }],
      },
    },
  },
  expectRequestBody(body, _request, _streaming) {
    // The model and the streaming mode are in the URL; the system prompt is systemInstruction.
    expect(body).toMatchObject({
      contents: [{ role: 'user', parts: [{ text: PROMPT_TEXT }] }],
      systemInstruction: { parts: [{ text: SYSTEM_TEXT }] },
      generationConfig: { maxOutputTokens: 64, temperature: 0.25 },
    });
  },
});

describe('Gemini driver specifics', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeGeminiServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());
  const settings = () => ({ apiKey: API_KEY, baseUrl: server.baseUrl });
  const signal = () => new AbortController().signal;
  const request = { model: 'gemini-2.5-flash', messages: [{ role: 'user' as const, content: 'hi' }] };

  it('calls generateContent and streamGenerateContent with alt=sse under the default API version', async () => {
    await geminiDriver.generate(request, settings(), signal());
    await collect(geminiDriver.stream(request, settings(), signal()));
    expect(server.requests.map((recorded) => recorded.path)).toEqual([
      '/v1beta/models/gemini-2.5-flash:generateContent',
      '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
    ]);
    expect(server.requests[1]?.query.alt).toBe('sse');
    expect(server.requests[0]?.headers['x-goog-api-key']).toBe(API_KEY);
  });

  it('reads a bad key reported as 400 API_KEY_INVALID as a rejected key', async () => {
    server.failNext({
      status: 400,
      body: {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'INVALID_ARGUMENT',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', metadata: { key: API_KEY } }],
        },
      },
    });
    const error = await generateError(geminiDriver.generate(request, settings(), signal()));
    expect(error).toMatchObject({ code: 'API_KEY_REJECTED', statusCode: 400, retryable: false });
    expectNoSecret(error, API_KEY);
  });

  it('maps SAFETY to content-filter', async () => {
    server.script({ finishReason: 'SAFETY' });
    expect((await geminiDriver.generate(request, settings(), signal())).finishReason).toBe('content-filter');
  });

  it('counts thinking tokens as output, since they are billed as output', () => {
    expect(toTokenUsage({ promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 7 })).toStrictEqual({ inputTokens: 10, outputTokens: 12, reasoningTokens: 7 });
    expect(toTokenUsage({ promptTokenCount: 10 })).toStrictEqual({ inputTokens: 10, outputTokens: null });
  });

  it('reports cached content as a part of the prompt, and no parts Gemini did not report', () => {
    expect(toTokenUsage({ promptTokenCount: 1000, cachedContentTokenCount: 750, candidatesTokenCount: 5 })).toStrictEqual({
      inputTokens: 1000,
      outputTokens: 5,
      cachedInputTokens: 750,
    });
    expect(toTokenUsage({ promptTokenCount: 10, candidatesTokenCount: 5 })).toStrictEqual({ inputTokens: 10, outputTokens: 5 });
  });
});
