// The behaviour every network driver must show, run through the real SDK against its fake
// server. Each driver's test file calls describeDriverContract and adds its own wire checks.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderCallError } from '../../../src/llm/errors.ts';
import { streamWithRetry, withRetry } from '../../../src/llm/retry.ts';
import type {
  ChatMessage,
  DriverSettings,
  GenerateRequest,
  LlmDriver,
  ResponseFormat,
  StreamPart,
  ToolCall,
  ToolChoice,
  ToolDefinition,
} from '../../../src/llm/types.ts';
import type { FakeServer, RecordedRequest, ScriptedFailure } from '../../support/fake-llm/fake-http-server.ts';

export interface DriverContract {
  driver: () => LlmDriver;
  startServer: () => Promise<FakeServer>;
  settings: (server: FakeServer) => DriverSettings;
  model: string;
  /** Part of the chat endpoint's path, so Copilot's token exchange is told apart. */
  chatPath: string;
  /** A 401 as the provider sends it, quoting the key back the way some providers do. */
  unauthorized: (apiKey: string) => ScriptedFailure;
  /** A 429 that asks for a 1 second wait, in the provider's own way (header or body). */
  rateLimitedForOneSecond: ScriptedFailure;
  /** Which mid-stream failures the provider's SDK can surface (all: close, error-event). */
  midStreamModes?: ReadonlyArray<'close' | 'error-event'>;
  expectRequestBody: (body: unknown, request: GenerateRequest, streaming: boolean) => void;
}

export const SYSTEM_TEXT = 'You are terse.';
export const PROMPT_TEXT = 'Say hello.';

export const FULL_REQUEST: Omit<GenerateRequest, 'model'> = {
  messages: [
    { role: 'system', content: SYSTEM_TEXT },
    { role: 'user', content: PROMPT_TEXT },
  ],
  maxTokens: 64,
  temperature: 0.25,
};

export async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

export function textOf(parts: readonly StreamPart[]): string {
  return parts.flatMap((part) => (part.type === 'text-delta' ? [part.text] : [])).join('');
}

export async function generateError(run: Promise<unknown>): Promise<ProviderCallError> {
  const error = await run.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ProviderCallError)) throw new Error(`expected a ProviderCallError, got ${String(error)}`);
  return error;
}

export function lastErrorPart(parts: readonly StreamPart[]): ProviderCallError {
  const last = parts.at(-1);
  if (last?.type !== 'error') throw new Error(`expected the stream to end with an error part, got ${JSON.stringify(last)}`);
  return last.error;
}

export function expectNoSecret(error: ProviderCallError, secret: string): void {
  for (const text of [error.message, error.stack ?? '', String(error), JSON.stringify(error), error.responseBody ?? '']) {
    expect(text).not.toContain(secret);
  }
}

export function describeDriverContract(name: string, contract: DriverContract): void {
  describe(`${name} driver contract`, () => {
    let server: FakeServer;
    const apiKey = (): string | null => contract.settings(server).apiKey;
    const request = (extra: Partial<GenerateRequest> = {}): GenerateRequest => ({ model: contract.model, ...FULL_REQUEST, ...extra });
    const chatRequests = (): RecordedRequest[] => server.requests.filter((recorded) => recorded.path.includes(contract.chatPath));
    const failChatNext = (failure: ScriptedFailure): void => server.failNext({ ...failure, pathIncludes: contract.chatPath });
    const run = (settings: Partial<DriverSettings> = {}, signal = new AbortController().signal) =>
      contract.driver().generate(request(), { ...contract.settings(server), ...settings }, signal);
    const stream = (settings: Partial<DriverSettings> = {}, signal = new AbortController().signal) =>
      contract.driver().stream(request(), { ...contract.settings(server), ...settings }, signal);

    beforeAll(async () => {
      server = await contract.startServer();
    });
    afterAll(async () => {
      await server.close();
    });
    beforeEach(() => server.reset());

    it('returns the text, the requested model, usage and a normalized finish reason', async () => {
      server.script({ text: 'Hi there.', usage: { inputTokens: 21, outputTokens: 4 } });
      const result = await run();
      expect(result).toEqual({ text: 'Hi there.', model: contract.model, usage: { inputTokens: 21, outputTokens: 4 }, finishReason: 'stop', toolCalls: [] });
    });

    it('sends the model, prompt, system prompt, max tokens and temperature in the provider shape', async () => {
      await run();
      await collect(stream());
      const [plain, streamed] = chatRequests();
      contract.expectRequestBody(plain?.body, request(), false);
      contract.expectRequestBody(streamed?.body, request(), true);
    });

    it('streams text deltas in order and finishes with the usage', async () => {
      server.script({ deltas: ['Hel', 'lo ', 'world'], usage: { inputTokens: 9, outputTokens: 3 } });
      const parts = await collect(stream());
      expect(parts.filter((part) => part.type === 'text-delta')).toEqual([
        { type: 'text-delta', text: 'Hel' },
        { type: 'text-delta', text: 'lo ' },
        { type: 'text-delta', text: 'world' },
      ]);
      expect(parts.at(-1)).toEqual({ type: 'finish', model: contract.model, usage: { inputTokens: 9, outputTokens: 3 }, finishReason: 'stop', toolCalls: [] });
    });

    it('reports usage the provider did not send as null, never 0', async () => {
      server.script({ usage: null });
      expect((await run()).usage).toEqual({ inputTokens: null, outputTokens: null });
      const finish = (await collect(stream())).at(-1);
      expect(finish?.type === 'finish' && finish.usage).toEqual({ inputTokens: null, outputTokens: null });
    });

    it('maps a 401 to API_KEY_REJECTED, not retryable, without the key in any text', async () => {
      const key = apiKey() ?? 'no-key';
      failChatNext(contract.unauthorized(key));
      const error = await generateError(run());
      expect(error).toMatchObject({ code: 'API_KEY_REJECTED', statusCode: 401, retryable: false, provider: contract.driver().kind });
      expect(error.message).toMatch(/rejected the API key/);
      expectNoSecret(error, key);
    });

    it('maps a 429 to RATE_LIMITED with the wait the provider asked for', async () => {
      failChatNext(contract.rateLimitedForOneSecond);
      const error = await generateError(run());
      expect(error).toMatchObject({ code: 'RATE_LIMITED', statusCode: 429, retryable: true, retryAfterMs: 1000 });
    });

    it('maps a 500 to a retryable PROVIDER_ERROR', async () => {
      failChatNext({ status: 500, body: { error: { message: 'upstream exploded' } } });
      expect(await generateError(run())).toMatchObject({ code: 'PROVIDER_ERROR', statusCode: 500, retryable: true });
    });

    it('maps a slow provider to a retryable TIMEOUT', async () => {
      server.script({ delayMs: 500 });
      expect(await generateError(run({ timeoutMs: 60 }))).toMatchObject({ code: 'TIMEOUT', retryable: true });
      expect(lastErrorPart(await collect(stream({ timeoutMs: 60 })))).toMatchObject({ code: 'TIMEOUT', retryable: true });
    });

    it('bounds the wait for the answer to start with timeoutMs, not a stream in progress', async () => {
      // Each of the 4 or more frames comes 60 ms after the previous one: the whole stream outlasts 150 ms.
      server.script({ deltas: ['a', 'b', 'c'], frameDelayMs: 60 });
      const parts = await collect(stream({ timeoutMs: 150 }));
      expect(textOf(parts)).toBe('abc');
      expect(parts.at(-1)?.type).toBe('finish');
    });

    it('retries a 429 after the Retry-After delay and succeeds as one call', async () => {
      failChatNext(contract.rateLimitedForOneSecond);
      const delays: number[] = [];
      const signal = new AbortController().signal;
      const result = await withRetry(() => run({}, signal), {
        maxAttempts: 3,
        baseDelayMs: 10,
        maxDelayMs: 5000,
        signal,
        sleep: async (delayMs) => {
          delays.push(delayMs);
        },
      });
      expect(result.text).toBe('Hello from the fake provider.');
      expect(delays).toEqual([1000]);
      expect(chatRequests()).toHaveLength(2);
    });

    it('retries a stream that failed before its first part, and only then', async () => {
      failChatNext({ status: 503, body: { error: { message: 'busy' } } });
      const signal = new AbortController().signal;
      const parts = await collect(
        streamWithRetry(() => stream({}, signal), { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 10, signal }),
      );
      expect(textOf(parts)).toBe('Hello from the fake provider.');
      expect(parts.at(-1)?.type).toBe('finish');
      expect(chatRequests()).toHaveLength(2);
    });

    for (const mode of contract.midStreamModes ?? (['close', 'error-event'] as const)) {
      it(`turns a mid-stream failure (${mode}) into an error part after the text already sent`, async () => {
        server.script({ deltas: ['one ', 'two ', 'three'], midStream: { afterDeltas: 2, mode } });
        const signal = new AbortController().signal;
        // Through streamWithRetry: text has been shown, so the failure must not be retried.
        const parts = await collect(streamWithRetry(() => stream({}, signal), { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 10, signal }));
        expect(textOf(parts)).toBe('one two ');
        expect(lastErrorPart(parts)).toMatchObject({ code: expect.stringMatching(/PROVIDER_ERROR|RATE_LIMITED/) });
        expect(chatRequests()).toHaveLength(1);
      });
    }

    it('closes the upstream connection when the caller aborts mid-stream', async () => {
      server.script({ deltas: ['first ', 'second'], midStream: { afterDeltas: 1, mode: 'stall' } });
      const controller = new AbortController();
      const parts: StreamPart[] = [];
      for await (const part of stream({}, controller.signal)) {
        parts.push(part);
        if (part.type === 'text-delta') controller.abort();
      }
      await server.waitForClientDisconnect();
      expect(parts[0]).toEqual({ type: 'text-delta', text: 'first ' });
      expect(lastErrorPart(parts).code).toBe('ABORTED');
    });

    it('closes the upstream connection when the consumer stops reading', async () => {
      server.script({ deltas: ['first ', 'second'], midStream: { afterDeltas: 1, mode: 'stall' } });
      for await (const part of stream()) {
        if (part.type === 'text-delta') break;
      }
      await server.waitForClientDisconnect();
      expect(server.clientDisconnects).toBe(1);
    });

    it('aborts a pending non-streamed call and reports ABORTED', async () => {
      server.script({ delayMs: 2000 });
      const controller = new AbortController();
      const pending = generateError(run({}, controller.signal));
      setTimeout(() => controller.abort(), 30);
      expect(await pending).toMatchObject({ code: 'ABORTED', retryable: false });
      await server.waitForClientDisconnect();
    });
  });
}

// Tool calls and response formats: the behaviour every driver that maps them must show, run
// through the real SDK against its fake. Each driver's test states its own wire shape.

export const WEATHER_TOOL: ToolDefinition = {
  name: 'get_weather',
  description: 'The weather in a city now.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
/** No description, so the drivers are seen to leave the field out rather than send it empty. */
export const TIME_TOOL: ToolDefinition = { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } };

export const CONVERSATION_QUESTION = 'What is the weather in Paris, and the time there?';

/** Two rounds of calls: one with text beside the call, one with none. */
export const TOOL_CONVERSATION: readonly ChatMessage[] = [
  { role: 'system', content: SYSTEM_TEXT },
  { role: 'user', content: CONVERSATION_QUESTION },
  { role: 'assistant', content: 'Let me look.', toolCalls: [{ id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
  { role: 'tool', toolCallId: 'call_weather_1', name: 'get_weather', content: '{"celsius":18}' },
  { role: 'assistant', content: '', toolCalls: [{ id: 'call_time_2', name: 'get_time', arguments: '{"zone":"Europe/Paris"}' }] },
  { role: 'tool', toolCallId: 'call_time_2', name: 'get_time', content: '{"time":"14:05"}' },
];

/** Compact JSON, so that drivers whose API hands over objects (Ollama) give back the same text. */
export const SCRIPTED_TOOL_CALLS = [
  { id: 'call_weather_9', name: 'get_weather', arguments: '{"city":"Paris"}' },
  { id: 'call_time_9', name: 'get_time', arguments: '{"zone":"Europe/Paris"}' },
];

export const TOOL_CHOICES: readonly (ToolChoice | undefined)[] = [
  undefined,
  { type: 'auto' },
  { type: 'none' },
  { type: 'required' },
  { type: 'tool', name: 'get_time' },
];

export const RESPONSE_FORMATS: readonly ResponseFormat[] = [
  { type: 'text' },
  { type: 'json_object' },
  {
    type: 'json_schema',
    name: 'weather_report',
    schema: { type: 'object', properties: { celsius: { type: 'number' } }, required: ['celsius'] },
  },
];

export interface ToolCallContract {
  driver: () => LlmDriver;
  startServer: () => Promise<FakeServer>;
  settings: (server: FakeServer) => DriverSettings;
  model: string;
  chatPath: string;
  /** The wire body for TOOL_CONVERSATION alone (no tools offered). */
  expectConversationBody: (body: unknown, streaming: boolean) => void;
  /** The wire body for the question with WEATHER_TOOL and TIME_TOOL offered and this choice (undefined: none given). */
  expectToolsBody: (body: unknown, toolChoice: ToolChoice | undefined) => void;
  /** The wire body for the question with this response format. */
  expectResponseFormatBody: (body: unknown, format: ResponseFormat) => void;
  /** What a returned call's id must match, given the scripted one (Ollama's API has none and the driver makes one). */
  expectedToolCallId?: (scriptedId: string) => unknown;
}

function describeToolChoice(choice: ToolChoice | undefined): string {
  if (!choice) return 'no tool choice';
  return choice.type === 'tool' ? `the named tool choice (${choice.name})` : `tool choice ${choice.type}`;
}

/** Joins the streamed tool-call deltas by index, to compare with the whole calls of the finish part. */
function assembledDeltas(parts: readonly StreamPart[]): { name: string | undefined; arguments: string }[] {
  const calls: { name: string | undefined; arguments: string }[] = [];
  for (const part of parts) {
    if (part.type !== 'tool-call-delta') continue;
    const call = (calls[part.index] ??= { name: part.name, arguments: '' });
    call.arguments += part.argumentsDelta;
  }
  return calls;
}

export function describeToolCallContract(name: string, contract: ToolCallContract): void {
  describe(`${name} driver tool calls and response formats`, () => {
    let server: FakeServer;
    const signal = (): AbortSignal => new AbortController().signal;
    const question: ChatMessage[] = [{ role: 'user', content: CONVERSATION_QUESTION }];
    const chatBodies = (): unknown[] => server.requests.filter((recorded) => recorded.path.includes(contract.chatPath)).map((recorded) => recorded.body);
    const generate = (extra: Partial<GenerateRequest>) =>
      contract.driver().generate({ model: contract.model, messages: question, ...extra }, contract.settings(server), signal());
    const stream = (extra: Partial<GenerateRequest>) =>
      collect(contract.driver().stream({ model: contract.model, messages: question, ...extra }, contract.settings(server), signal()));
    const expectedCalls = (calls: readonly ToolCall[]) =>
      calls.map((call) => ({ ...call, id: contract.expectedToolCallId ? contract.expectedToolCallId(call.id) : call.id }));
    const tools = [WEATHER_TOOL, TIME_TOOL];

    beforeAll(async () => {
      server = await contract.startServer();
    });
    afterAll(async () => {
      await server.close();
    });
    beforeEach(() => server.reset());

    it('sends a conversation with tool calls and their results in the provider shape', async () => {
      await generate({ messages: TOOL_CONVERSATION });
      await stream({ messages: TOOL_CONVERSATION });
      const [plain, streamed] = chatBodies();
      contract.expectConversationBody(plain, false);
      contract.expectConversationBody(streamed, true);
    });

    // Only what the driver declares: the pipeline refuses the rest before any driver sees it.
    const { capabilities } = contract.driver();
    const mappedChoices = TOOL_CHOICES.filter((choice) => capabilities.forcedToolChoice || (choice?.type !== 'required' && choice?.type !== 'tool'));
    for (const toolChoice of mappedChoices) {
      it(`offers the tools with ${describeToolChoice(toolChoice)}`, async () => {
        await generate({ tools, ...(toolChoice ? { toolChoice } : {}) });
        contract.expectToolsBody(chatBodies()[0], toolChoice);
      });
    }

    for (const format of RESPONSE_FORMATS.filter((candidate) => capabilities.responseFormats.includes(candidate.type))) {
      it(`asks for the ${format.type} response format`, async () => {
        await generate({ responseFormat: format });
        contract.expectResponseFormatBody(chatBodies()[0], format);
      });
    }

    it('returns the tool calls of an answer, whole, with finishReason tool-calls', async () => {
      server.script({ text: '', toolCalls: SCRIPTED_TOOL_CALLS });
      const result = await generate({ tools });
      expect(result).toMatchObject({ text: '', finishReason: 'tool-calls', toolCalls: expectedCalls(SCRIPTED_TOOL_CALLS) });
      expect(new Set(result.toolCalls.map((call) => call.id)).size).toBe(SCRIPTED_TOOL_CALLS.length);
    });

    it('assembles streamed tool calls into whole calls in the finish part', async () => {
      server.script({ text: '', toolCalls: SCRIPTED_TOOL_CALLS, argumentChunks: 3 });
      const parts = await stream({ tools });
      expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool-calls', toolCalls: expectedCalls(SCRIPTED_TOOL_CALLS) });
      // The deltas are optional for a driver; when it sends them, they add up to the same calls.
      const deltas = assembledDeltas(parts);
      if (deltas.length) expect(deltas).toEqual(SCRIPTED_TOOL_CALLS.map((call) => ({ name: call.name, arguments: call.arguments })));
    });

    it('keeps the text said before the tool calls', async () => {
      const [weather] = SCRIPTED_TOOL_CALLS;
      server.script({ text: 'Let me look.', deltas: ['Let me ', 'look.'], toolCalls: weather ? [weather] : [] });
      const result = await generate({ tools });
      expect(result).toMatchObject({ text: 'Let me look.', finishReason: 'tool-calls', toolCalls: expectedCalls(weather ? [weather] : []) });
      const parts = await stream({ tools });
      expect(textOf(parts)).toBe('Let me look.');
      expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool-calls', toolCalls: expectedCalls(weather ? [weather] : []) });
    });

    it('passes arguments that are not valid JSON through as the raw text', async () => {
      const broken = [{ id: 'call_broken_1', name: 'get_weather', arguments: '{"city":"Par' }];
      server.script({ text: '', toolCalls: broken, argumentChunks: 2 });
      expect((await generate({ tools })).toolCalls).toMatchObject(expectedCalls(broken));
      const finish = (await stream({ tools })).at(-1);
      expect(finish).toMatchObject({ type: 'finish', toolCalls: expectedCalls(broken) });
    });

    it('answers without tool calls as before when the model calls none', async () => {
      const result = await generate({ tools });
      expect(result).toMatchObject({ text: 'Hello from the fake provider.', finishReason: 'stop', toolCalls: [] });
    });
  });
}
