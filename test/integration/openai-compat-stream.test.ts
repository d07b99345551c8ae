import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import { waitFor } from '../support/process.ts';

type ApiError = InstanceType<typeof OpenAI.APIError>;

// The stream as bytes on the wire (what curl and SDKs other than OpenAI's read), and a stream's end:
// a client that goes away, a provider that fails after the first byte.
let t: TestApp;
let fakes: FakeLlmServers;
let baseURL: string;
let client: OpenAI;

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
  for (const kind of ['OPENAI', 'CLAUDE'] as const) {
    await t.configureProvider({ name: kind, provider: kind, config: fakes.settingsFor(kind), apiKey: `key-${kind}`, isActive: false });
  }
});

const usageRows = () => t.db.sql<{ status: string; streamed: boolean; error_class: string | null }>('select status, streamed, error_class from specs.usage_records');

async function rawStream(body: Record<string, unknown>): Promise<{ response: Response; text: string }> {
  const response = await fetch(`${baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'Say hello' }], ...body }),
  });
  return { response, text: await response.text() };
}

describe('the raw event stream', () => {
  it('is data: frames of chat.completion.chunk, role first, usage last, then data: [DONE]', async () => {
    fakes.claude.script({ deltas: ['Hello ', 'from ', 'Claude.'], usage: { inputTokens: 5, outputTokens: 3 } });
    const { response, text } = await rawStream({ model: 'claude/claude-sonnet-4-20250514', stream_options: { include_usage: true } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const frames = text.split('\n\n').filter(Boolean);
    expect(frames.every((frame) => frame.startsWith('data: ') && !frame.includes('\n'))).toBe(true);
    expect(frames.at(-1)).toBe('data: [DONE]');
    const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame.slice(6)) as Record<string, unknown>);
    const id = chunks[0]!.id as string;
    expect(id).toMatch(/^chatcmpl-/);
    expect(response.headers.get('x-request-id')).toBe(id);
    const envelope = { id, object: 'chat.completion.chunk', created: chunks[0]!.created, model: 'claude/claude-sonnet-4-20250514', system_fingerprint: null };
    const choice = (delta: unknown, finishReason: string | null = null) => ({ ...envelope, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], usage: null });
    expect(chunks).toEqual([
      choice({ role: 'assistant', content: '' }),
      choice({ content: 'Hello ' }),
      choice({ content: 'from ' }),
      choice({ content: 'Claude.' }),
      choice({}, 'stop'),
      { ...envelope, choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } },
    ]);
    expect(await usageRows()).toEqual([{ status: 'SUCCEEDED', streamed: true, error_class: null }]);
  });

  it('carries tool calls in the indexed delta format, and no usage chunk unless asked', async () => {
    fakes.openai.script({
      text: '',
      toolCalls: [
        { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'call_b', name: 'get_weather', arguments: '{"city":"Oslo"}' },
      ],
      argumentChunks: 4,
    });
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const { text } = await rawStream({ model: 'openai/gpt-4o-mini', tools });
    const chunks = text
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: {'))
      .map((frame) => JSON.parse(frame.slice(6)) as { usage?: unknown; choices: { delta: { tool_calls?: unknown[] }; finish_reason: string | null }[] });
    expect(chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? [])).toEqual([
      { index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { index: 1, id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
    ]);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

describe('the end of a stream', () => {
  it('aborts the provider call when the client goes away mid-stream, and records it once as CANCELLED', async () => {
    fakes.claude.script({ midStream: { afterDeltas: 1, mode: 'stall' } });
    const stream = await client.chat.completions.create({ model: 'claude/claude-sonnet-4-20250514', messages: [{ role: 'user', content: 'Say hello' }], stream: true });
    let received = '';
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta.content ?? '';
      if (received) break;
    }
    expect(received).toBe('Hello ');
    await fakes.claude.waitForClientDisconnect(10_000);
    expect(fakes.claude.clientDisconnects).toBeGreaterThan(0);
    await waitFor(async () => (await usageRows()).length > 0, 10_000, 'the usage row');
    expect(await usageRows()).toEqual([{ status: 'CANCELLED', streamed: true, error_class: 'ABORTED' }]);
    expect(fakes.claude.requests).toHaveLength(1);
  });

  // The openai SDK (the OpenAI, Grok and Copilot drivers) builds AbortSignal.any() over the signal it gets,
  // which silences the server's request signal: this checks the endpoint hands drivers a plain one.
  it('aborts the provider call of a non-streamed completion whose client goes away', async () => {
    fakes.openai.script({ delayMs: 30_000 });
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { signal: controller.signal }).catch((error: unknown) => error);
    await waitFor(() => fakes.openai.requests.length > 0, 10_000, 'the provider request');
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    await fakes.openai.waitForClientDisconnect(10_000);
    await waitFor(async () => (await usageRows()).length > 0, 10_000, 'the usage row');
    expect(await usageRows()).toEqual([{ status: 'CANCELLED', streamed: false, error_class: 'ABORTED' }]);
  });

  it('ends with an error event the SDK raises when the provider fails after the first byte, recorded once as FAILED', async () => {
    fakes.claude.script({ midStream: { afterDeltas: 2, mode: 'error-event' } });
    const stream = await client.chat.completions.create({ model: 'claude/claude-sonnet-4-20250514', messages: [{ role: 'user', content: 'Say hello' }], stream: true });
    let received = '';
    const outcome = await (async () => {
      for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
    })().then(
      () => null,
      (error: unknown) => error,
    );
    expect(received).toBe('Hello from ');
    expect(outcome).toBeInstanceOf(OpenAI.APIError);
    expect((outcome as ApiError).message).toMatch(/Claude/);
    expect((outcome as ApiError).error).toMatchObject({ type: 'api_error', code: 'provider_error' });
    expect((await usageRows()).map((row) => row.status)).toEqual(['FAILED']);
  });
});
