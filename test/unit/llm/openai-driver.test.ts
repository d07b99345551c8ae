import { describe, expect, it } from 'vitest';
import { openAiDriver } from '../../../src/llm/openai/openai.driver.ts';
import { startFakeOpenAiServer } from '../../support/fake-llm/openai-compatible.fake.ts';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { toStreamParts } from '../../../src/llm/openai-compatible/openai-compatible.stream.ts';
import { toTokenUsage } from '../../../src/llm/openai-compatible/openai-compatible.usage.ts';
import { collect, describeDriverContract, FULL_REQUEST, PROMPT_TEXT, SYSTEM_TEXT } from './driver-contract.ts';

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

describe('OpenAI-compatible usage: cached and reasoning parts', () => {
  const reported = {
    prompt_tokens: 1000,
    completion_tokens: 300,
    total_tokens: 1300,
    prompt_tokens_details: { cached_tokens: 600 },
    completion_tokens_details: { reasoning_tokens: 200 },
  };

  it('maps cached_tokens and reasoning_tokens, reasoning counted inside completion_tokens', () => {
    expect(toTokenUsage(reported)).toStrictEqual({ inputTokens: 1000, outputTokens: 300, cachedInputTokens: 600, reasoningTokens: 200 });
  });

  it('leaves the parts out when they were not reported (never 0 for unknown)', () => {
    expect(toTokenUsage({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 })).toStrictEqual({ inputTokens: 10, outputTokens: 5 });
    expect(toTokenUsage({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: {}, completion_tokens_details: {} })).toStrictEqual({
      inputTokens: 10,
      outputTokens: 5,
    });
    expect(toTokenUsage({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 0 } })).toStrictEqual({
      inputTokens: 10,
      outputTokens: 5,
      cachedInputTokens: 0,
    });
    expect(toTokenUsage(null)).toStrictEqual({ inputTokens: null, outputTokens: null });
  });

  it("carries the parts to a stream's finish part", async () => {
    const chunks = [
      { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: 'stop' }] },
      { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o-mini', choices: [], usage: reported },
    ] as unknown as ChatCompletionChunk[];
    async function* source() {
      yield* chunks;
    }
    const parts = await collect(toStreamParts(source(), 'gpt-4o-mini'));
    expect(parts.at(-1)).toMatchObject({ type: 'finish', usage: { inputTokens: 1000, outputTokens: 300, cachedInputTokens: 600, reasoningTokens: 200 } });
  });
});
