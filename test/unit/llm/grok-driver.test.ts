import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grokDriver } from '../../../src/llm/grok/grok.driver.ts';
import { toTokenUsage } from '../../../src/llm/openai-compatible/openai-compatible.usage.ts';
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

describe('Grok usage: xAI counts reasoning apart from completion_tokens', () => {
  const completion = {
    id: 'chatcmpl-grok',
    object: 'chat.completion',
    created: 0,
    model: 'grok-3-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: 100,
      completion_tokens: 10,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 64 },
      completion_tokens_details: { reasoning_tokens: 40 },
    },
  };
  let server: Server;
  let baseUrl = '';
  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(completion));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('adds reasoning_tokens to the output, so reasoning stays a part of it', async () => {
    const result = await grokDriver.generate(
      { model: 'grok-3-mini', messages: [{ role: 'user', content: 'hi' }] },
      { apiKey: API_KEY, baseUrl },
      new AbortController().signal,
    );
    expect(result.usage).toStrictEqual({ inputTokens: 100, outputTokens: 50, cachedInputTokens: 64, reasoningTokens: 40 });
  });

  it('maps the same way with the quirk given directly, and leaves OpenAI counting as it is', () => {
    expect(toTokenUsage(completion.usage, { reasoningOutsideCompletion: true })).toMatchObject({ outputTokens: 50, reasoningTokens: 40 });
    expect(toTokenUsage(completion.usage)).toMatchObject({ outputTokens: 10, reasoningTokens: 40 });
    // No reasoning reported: nothing to add.
    expect(toTokenUsage({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }, { reasoningOutsideCompletion: true })).toStrictEqual({ inputTokens: 1, outputTokens: 2 });
  });
});
