import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claudeDriver } from '../../../src/llm/claude/claude.driver.ts';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { DEFAULT_MAX_TOKENS } from '../../../src/llm/claude/claude.request.ts';
import { toStreamParts } from '../../../src/llm/claude/claude.stream.ts';
import { toTokenUsage } from '../../../src/llm/claude/claude.usage.ts';
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

describe('Claude usage: cache reads and writes', () => {
  it('counts every prompt token as input and reports the cache read and write parts', () => {
    expect(toTokenUsage({ input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 800, cache_creation_input_tokens: 50 })).toStrictEqual({
      inputTokens: 950,
      outputTokens: 20,
      cachedInputTokens: 800,
      cacheWriteInputTokens: 50,
    });
  });

  it('leaves the parts out when Anthropic did not report them, and with an unknown input', () => {
    expect(toTokenUsage({ input_tokens: 100, output_tokens: 20 })).toStrictEqual({ inputTokens: 100, outputTokens: 20 });
    expect(toTokenUsage({ input_tokens: 100, output_tokens: 20, cache_read_input_tokens: null })).toStrictEqual({ inputTokens: 100, outputTokens: 20 });
    expect(toTokenUsage({ output_tokens: 20, cache_read_input_tokens: 800 })).toStrictEqual({ inputTokens: null, outputTokens: 20 });
  });

  it("carries the parts from message_start to a stream's finish part", async () => {
    const events = [
      { type: 'message_start', message: { id: 'm', type: 'message', role: 'assistant', model: 'claude', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 500, cache_creation_input_tokens: 0 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 7 } },
      { type: 'message_stop' },
    ] as unknown as RawMessageStreamEvent[];
    async function* source() {
      yield* events;
    }
    const parts = await collect(toStreamParts(source(), 'claude', false));
    expect(parts.at(-1)).toMatchObject({
      type: 'finish',
      usage: { inputTokens: 510, outputTokens: 7, cachedInputTokens: 500, cacheWriteInputTokens: 0 },
    });
  });
});
