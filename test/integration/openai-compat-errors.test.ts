import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { openAiErrorOf } from '../../src/modules/openai-compat/openai-errors.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

type ApiError = InstanceType<typeof OpenAI.APIError>;

// Errors in OpenAI's shape and statuses, as the OpenAI SDK raises them; a refused call reaches no provider
// and records nothing; no error carries a secret.
let t: TestApp;
let fakes: FakeLlmServers;
let baseURL: string;
let client: OpenAI;
const KEY = 'sk-openai-compat-secret-9d8e7f';

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp();
  baseURL = `http://127.0.0.1:${await t.app.start(0, '127.0.0.1')}/v1`;
  client = new OpenAI({ apiKey: t.adminToken, baseURL, maxRetries: 0 });
});
afterAll(async () => {
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(async () => {
  fakes.reset();
  await t.db.sql('delete from specs.intelligence_providers');
  await t.db.sql('delete from specs.usage_records');
  for (const kind of ['OPENAI', 'OLLAMA'] as const) {
    await t.configureProvider({ name: kind, provider: kind, config: fakes.settingsFor(kind), apiKey: KEY, isActive: kind === 'OPENAI' });
  }
});

const usageRows = () => t.db.sql<{ status: string; error_class: string | null }>('select status, error_class from specs.usage_records');
const HI = [{ role: 'user' as const, content: 'hi' }];

/** The SDK's error for a request, or a failure when it succeeded. */
async function failure(request: Promise<unknown>): Promise<ApiError> {
  const outcome = await request.then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(OpenAI.APIError);
  return outcome as ApiError;
}

async function expectNothingSpent(): Promise<void> {
  expect(fakes.openai.requests).toHaveLength(0);
  expect(fakes.ollama.requests).toHaveLength(0);
  expect(await usageRows()).toHaveLength(0);
}

describe('authentication', () => {
  it('answers 401 to a bad token (AuthenticationError) and to none, in OpenAI shape', async () => {
    const stranger = new OpenAI({ apiKey: 'agora_not-a-real-token', baseURL, maxRetries: 0 });
    const error = await failure(stranger.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI }));
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });
    expect(await failure(stranger.models.list())).toBeInstanceOf(OpenAI.AuthenticationError);

    const anonymous = await fetch(`${baseURL}/models`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(await anonymous.json()).toEqual({ error: { message: expect.stringMatching(/Bearer/), type: 'invalid_request_error', code: 'invalid_api_key', param: null } });
    await expectNothingSpent();
  });
});

describe('refused requests', () => {
  it.each([
    ['acme/some-model', /'acme\/some-model' does not exist/],
    ['no-such-model', /does not exist/],
    ['claude/gpt-4o', /'openai\/gpt-4o' or 'copilot\/gpt-4o'/],
    ['local/rules-v1', /answers no prompt/],
  ])('answers 404 (NotFoundError) for the unknown model %s', async (model, message) => {
    const error = await failure(client.chat.completions.create({ model, messages: HI }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    expect(error.message).toMatch(message);
    await expectNothingSpent();
  });

  it.each([
    ['logprobs', { logprobs: true }],
    ['n', { n: 2 }],
    ['audio', { audio: { voice: 'alloy', format: 'mp3' } }],
    ['stop', { stop: ['\n'] }],
    ['top_p', { top_p: 0.5 }],
    ['messages[0].content[1].type', { messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] }],
    ['messages[0].name', { messages: [{ role: 'user', content: 'hi', name: 'alice' }] }],
    ['tools[0].function.strict', { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }] }],
    ['response_format.json_schema.strict', { response_format: { type: 'json_schema', json_schema: { name: 'v', schema: { type: 'object' }, strict: true } } }],
    ['stream_options', { stream_options: { include_usage: true } }],
    ['temperature', { temperature: 3 }],
    ['foo', { foo: 1 }],
    ['messages[0].colour', { messages: [{ role: 'user', content: 'hi', colour: 'blue' }] }],
  ])('answers 400 (BadRequestError) naming %s, before any provider is asked', async (param, patch) => {
    const body = { model: 'openai/gpt-4o-mini', messages: HI, ...patch } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
    const error = await failure(client.chat.completions.create(body));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', param });
    expect(error.message).toContain(param);
    await expectNothingSpent();
  });

  it('accepts the values of refused fields that ask for nothing, and the documented ignored fields', async () => {
    const body = { model: 'openai/gpt-4o-mini', messages: HI, n: 1, logprobs: false, top_p: 1, presence_penalty: 0, parallel_tool_calls: true, store: false, seed: null, user: 'end-user-7', metadata: { team: 'a' } };
    const completion = await client.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(completion.choices[0]!.message.content).toBe('Hello from the fake provider.');
    const sent = JSON.stringify(fakes.openai.requests[0]?.body);
    expect(sent).not.toContain('end-user-7');
  });

  it("reports the pipeline's own refusals under OpenAI's parameter names", async () => {
    const orphan = await failure(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [...HI, { role: 'tool', tool_call_id: 'nope', content: 'x' }] }));
    expect(orphan).toMatchObject({ status: 400, param: 'messages[1]' });
    expect(orphan.message).toMatch(/answers no tool call/);
    const forced = await failure(
      client.chat.completions.create({
        model: 'ollama/llama3.2',
        messages: HI,
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
        tool_choice: 'required',
      }),
    );
    expect(forced).toMatchObject({ status: 400, param: 'tool_choice' });
    expect(forced.message).toMatch(/Ollama/);
    await expectNothingSpent();
  });

  it('refuses a malformed Idempotency-Key header and a body that is not a JSON object', async () => {
    const tooLong = await failure(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI }, { headers: { 'Idempotency-Key': 'k'.repeat(256) } }));
    expect(tooLong).toMatchObject({ status: 400, param: 'Idempotency-Key' });
    const headers = { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' };
    const notJson = await fetch(`${baseURL}/chat/completions`, { method: 'POST', headers, body: '{"model": ' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ error: { code: 'invalid_json', type: 'invalid_request_error' } });
    const array = await fetch(`${baseURL}/chat/completions`, { method: 'POST', headers, body: '[]' });
    expect(array.status).toBe(400);
    await expectNothingSpent();
  });

  it('answers 404 for other paths and 405 for the wrong method', async () => {
    const headers = { authorization: `Bearer ${t.adminToken}` };
    const embeddings = await fetch(`${baseURL}/embeddings`, { method: 'POST', headers, body: '{}' });
    expect(embeddings.status).toBe(404);
    expect(await embeddings.json()).toMatchObject({ error: { code: 'unknown_url' } });
    const get = await fetch(`${baseURL}/chat/completions`, { headers });
    expect(get.status).toBe(405);
  });
});

describe('provider failures', () => {
  it('answers 429 (RateLimitError) with Retry-After when the provider rate limits longer than Agora waits', async () => {
    fakes.openai.failNext({ status: 429, headers: { 'retry-after': '30' }, body: { error: { message: 'Rate limit reached', type: 'requests' } } });
    const error = await failure(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(error.headers?.get('retry-after')).toBe('30');
    expect(error.headers?.get('retry-after-ms')).toBe('30000');
    // Streamed calls fail the same way before their first byte: a plain 429, not a broken stream.
    fakes.openai.failNext({ status: 429, headers: { 'retry-after': '30' } });
    const streamed = await failure(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI, stream: true }));
    expect(streamed).toBeInstanceOf(OpenAI.RateLimitError);
    expect((await usageRows()).map((row) => row.status)).toEqual(['FAILED', 'FAILED']);
  });

  it("answers 429 (RateLimitError) with Retry-After over Agora's own rate limit, before any provider is asked", async () => {
    const member = await t.createUser(`limited-${Date.now()}@example.com`);
    const limited = await t.graphql('mutation($id: ID!) { setUserRateLimit(userId: $id, requestsPerMinute: 1) { id } }', { variables: { id: member.id } });
    expect(limited.errors).toBeUndefined();
    const memberClient = new OpenAI({ apiKey: member.token, baseURL, maxRetries: 0 });
    await memberClient.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI });
    const error = await failure(memberClient.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI, stream: true }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(fakes.openai.requests).toHaveLength(1);
    expect(await usageRows()).toHaveLength(1);
  });

  it('answers 502 for a provider that keeps failing and 504 for one that times out, never with its key', async () => {
    fakes.openai.failNext({ status: 500 }, { status: 500 }, { status: 500 });
    const failed = await failure(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI }));
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
    expect(failed).toMatchObject({ status: 502, code: 'provider_error', type: 'api_error' });
    expect(failed.message).toMatch(/OpenAI/);

    fakes.openai.failNext({ status: 408 }, { status: 408 }, { status: 408 });
    const timedOut = await failure(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI }));
    expect(timedOut).toMatchObject({ status: 504, code: 'provider_timeout' });

    fakes.openai.failNext({ status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}` } } });
    // The provider refusing Agora's key is the provider's failure (502), not the caller's bad token (401).
    const rejected = await failure(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI }));
    expect(rejected.status).toBe(502);
    for (const error of [failed, timedOut, rejected]) expect(JSON.stringify({ message: error.message, body: error.error })).not.toContain(KEY);
    expect(t.logs.join('\n')).not.toContain(KEY);
  });
});

describe('Idempotency-Key', () => {
  it('answers a repeated key with the first completion, with no second provider call or usage row, streamed or not', async () => {
    const options = { headers: { 'Idempotency-Key': 'order-42' } };
    const first = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI }, options);
    const again = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI }, options);
    expect(again.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    expect(again.usage).toEqual(first.usage);
    // A repeat that streams gets the stored answer as a stream.
    const stream = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI, stream: true }, options);
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from the fake provider.');
    expect(fakes.openai.requests).toHaveLength(1);
    expect(await usageRows()).toHaveLength(1);
  });

  it('answers 409 (ConflictError) to the same key with another request', async () => {
    const options = { headers: { 'Idempotency-Key': 'order-43' } };
    await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI }, options);
    const error = await failure(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'something else' }] }, options));
    expect(error).toBeInstanceOf(OpenAI.ConflictError);
    expect(fakes.openai.requests).toHaveLength(1);
  });
});

describe('budgets', () => {
  it('answers 402 with code budget_exceeded when a budget would go over, before any provider is asked', async () => {
    const set = await t.graphql('mutation { setBudget(input: { scope: GLOBAL, period: MONTH, limit: "0.00000001" }) { id } }');
    expect(set.errors).toBeUndefined();
    try {
      const error = await failure(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI }));
      expect(error).toMatchObject({ status: 402, code: 'budget_exceeded', type: 'insufficient_quota' });
      expect(error.message).toMatch(/budget/);
      const streamed = await failure(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: HI, stream: true }));
      expect(streamed.status).toBe(402);
      await expectNothingSpent();
    } finally {
      await t.db.sql('delete from specs.budgets');
    }
  });
});

describe('error mapping', () => {
  const logs: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    }),);

  it.each([
    [new AppError('BUDGET_EXCEEDED', 'The monthly budget is spent.'), 402, 'budget_exceeded'],
    [new AppError('CONFLICT', 'The key was used for another request.'), 409, 'conflict'],
    [new AppError('RATE_LIMITED', 'Slow down.', {}), 429, 'rate_limit_exceeded'],
    [new AppError('API_KEY_REQUIRED', 'Anthropic Claude needs an API key.'), 400, 'api_key_required'],
    [new AppError('PROVIDER_ERROR', 'Gemini did not answer in time.', { providerCode: 'TIMEOUT' }), 504, 'provider_timeout'],
    [new AppError('INTERNAL_SERVER_ERROR', 'The stored key failed its integrity check.'), 500, 'internal_error'],
  ])('maps %s to %i', (error, status, code) => {
    expect(openAiErrorOf(error, logger)).toMatchObject({ status, code, message: error.message });
  });

  it('sends Retry-After even when nobody said how long, and masks unexpected errors', () => {
    expect(openAiErrorOf(new AppError('RATE_LIMITED', 'Slow down.'), logger).headers).toEqual({ 'retry-after': '1' });
    // Agora's own rate limits give whole seconds and the exact wait.
    expect(openAiErrorOf(new AppError('RATE_LIMITED', 'Slow down.', { retryAfter: 7, retryAfterMs: 6_200 }), logger).headers).toEqual({ 'retry-after': '7', 'retry-after-ms': '6200' });
    const masked = openAiErrorOf(new Error('connect to postgres://agora:hunter2@db failed'), logger);
    expect(masked).toMatchObject({ status: 500, message: 'Unexpected error.', type: 'server_error' });
    expect(JSON.stringify(masked)).not.toContain('hunter2');
  });
});
