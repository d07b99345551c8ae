import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claudeDriver } from '../../../src/llm/claude/claude.driver.ts';
import { DEFAULT_MAX_TOKENS } from '../../../src/llm/claude/claude.request.ts';
import { startFakeAnthropicServer } from '../../support/fake-llm/anthropic.fake.ts';
import type { FakeServer } from '../../support/fake-llm/fake-http-server.ts';
import { collect, describeDriverContract, FULL_REQUEST, PROMPT_TEXT, SYSTEM_TEXT, lastErrorPart } from './driver-contract.ts';

const API_KEY = 'sk-ant-api03-test-SECRET-0123456789abcdef';

describeDriverContract('Claude', {
  driver: () => claudeDriver,
  startServer: startFakeAnthropicServer,
  // The Anthropic SDK appends /v1/messages itself: the root has no version.
  settings: (server) => ({ apiKey: API_KEY, baseUrl: server.baseUrl }),
  model: 'claude-sonnet-4-20250514',
  chatPath: '/v1/messages',
  unauthorized: (key) => ({ status: 401, body: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${key}` } } }),
  rateLimitedForOneSecond: {
    status: 429,
    headers: { 'retry-after': '1' },
    body: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' } },
  },
  expectRequestBody(body, request, streaming) {
    // The system prompt is top-level, not a message.
    expect(body).toEqual({
      model: request.model,
      system: SYSTEM_TEXT,
      messages: [{ role: 'user', content: PROMPT_TEXT }],
      max_tokens: 64,
      temperature: 0.25,
      ...(streaming ? { stream: true } : {}),
    });
  },
});

describe('Claude driver specifics', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeAnthropicServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());
  const settings = () => ({ apiKey: API_KEY, baseUrl: server.baseUrl });
  const signal = () => new AbortController().signal;

  it('sends the key and always a max_tokens, which the API requires', async () => {
    await claudeDriver.generate({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user' as const, content: 'hi' }] }, settings(), signal());
    const [recorded] = server.requests;
    // SDK 1.x sends the key as a Bearer token; older ones used x-api-key.
    expect(recorded?.headers.authorization ?? `Bearer ${recorded?.headers['x-api-key']}`).toBe(`Bearer ${API_KEY}`);
    expect(recorded?.headers['anthropic-version']).toBeDefined();
    expect(recorded?.body).toEqual({ model: 'claude-3-5-haiku-latest', max_tokens: DEFAULT_MAX_TOKENS, messages: [{ role: 'user' as const, content: 'hi' }] });
  });

  it('maps stop reasons: max_tokens is length', async () => {
    server.script({ finishReason: 'max_tokens' });
    expect((await claudeDriver.generate({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user' as const, content: 'hi' }] }, settings(), signal())).finishReason).toBe('length');
  });

  it('treats an overloaded error event mid-stream as a retryable provider error', async () => {
    server.script({ midStream: { afterDeltas: 1, mode: 'error-event' } });
    const parts = await collect(claudeDriver.stream({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user' as const, content: 'hi' }] }, settings(), signal()));
    expect(lastErrorPart(parts)).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true, statusCode: null });
  });

  it('maps 529 overloaded to a retryable provider error', async () => {
    server.failNext({ status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
    const error = await claudeDriver.generate({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user' as const, content: 'hi' }] }, settings(), signal()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', statusCode: 529, retryable: true });
  });
});
