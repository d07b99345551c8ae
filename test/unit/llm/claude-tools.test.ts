// Tools, tool results and JSON answers through the real Anthropic SDK against the fake Messages API.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claudeDriver } from '../../../src/llm/claude/claude.driver.ts';
import { DEFAULT_MAX_TOKENS } from '../../../src/llm/claude/claude.request.ts';
import type { GenerateRequest, StreamPart, ToolDefinition } from '../../../src/llm/types.ts';
import { startFakeAnthropicServer } from '../../support/fake-llm/anthropic.fake.ts';
import type { FakeServer } from '../../support/fake-llm/fake-http-server.ts';
import { collect, generateError, textOf } from './driver-contract.ts';

const API_KEY = 'sk-ant-api03-test-SECRET-0123456789abcdef';
const MODEL = 'claude-sonnet-4-20250514';

const WEATHER_TOOL: ToolDefinition = {
  name: 'get_weather',
  description: 'The weather in a city today.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const TIME_TOOL: ToolDefinition = { name: 'get_time', parameters: { type: 'object', properties: {} } };
const WEATHER_TOOL_WIRE = {
  name: 'get_weather',
  description: 'The weather in a city today.',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function ask(extra: Partial<GenerateRequest> = {}): GenerateRequest {
  return { model: MODEL, messages: [{ role: 'user', content: 'Weather in Paris?' }], ...extra };
}

function finishOf(parts: readonly StreamPart[]): Extract<StreamPart, { type: 'finish' }> {
  const last = parts.at(-1);
  if (last?.type !== 'finish') throw new Error(`expected a finish part, got ${JSON.stringify(last)}`);
  return last;
}

describe('Claude tools and response formats', () => {
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
  const sentBody = (): unknown => server.requests.at(-1)?.body;

  it('declares tools, forced tool choice and both JSON formats, but not tools with a JSON format', () => {
    expect(claudeDriver.capabilities).toEqual({ tools: true, forcedToolChoice: true, responseFormats: ['text', 'json_object', 'json_schema'], toolsWithResponseFormat: false });
  });

  it('sends a conversation with tool calls as tool_use blocks and merges tool results and the next user text into one user turn', async () => {
    await claudeDriver.generate(
      ask({
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: 'Checking both.',
            toolCalls: [
              { id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
              { id: 'toolu_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
            ],
          },
          { role: 'tool', toolCallId: 'toolu_1', name: 'get_weather', content: '{"celsius":21}' },
          { role: 'tool', toolCallId: 'toolu_2', name: 'get_weather', content: 'sunny' },
          { role: 'user', content: 'And what time is it?' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'toolu_3', name: 'get_time', arguments: '' }] },
          { role: 'tool', toolCallId: 'toolu_3', name: 'get_time', content: '10:00' },
          { role: 'system', content: 'Answer in French.' },
        ],
        tools: [WEATHER_TOOL, TIME_TOOL],
      }),
      settings(),
      signal(),
    );
    expect(sentBody()).toEqual({
      model: MODEL,
      max_tokens: DEFAULT_MAX_TOKENS,
      system: 'You are terse.\n\nAnswer in French.',
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking both.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"celsius":21}' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: 'sunny' },
            { type: 'text', text: 'And what time is it?' },
          ],
        },
        // A turn that only calls a tool has no (empty) text block; no arguments is an empty input.
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_3', name: 'get_time', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_3', content: '10:00' }] },
      ],
      tools: [WEATHER_TOOL_WIRE, { name: 'get_time', input_schema: { type: 'object', properties: {} } }],
    });
  });

  const choices = [
    { toolChoice: undefined, wire: undefined },
    { toolChoice: { type: 'auto' }, wire: { type: 'auto' } },
    { toolChoice: { type: 'none' }, wire: { type: 'none' } },
    { toolChoice: { type: 'required' }, wire: { type: 'any' } },
    { toolChoice: { type: 'tool', name: 'get_weather' }, wire: { type: 'tool', name: 'get_weather' } },
  ] as const;
  for (const { toolChoice, wire } of choices) {
    it(`sends tool choice ${toolChoice?.type ?? '(none given)'} as ${JSON.stringify(wire)}`, async () => {
      await claudeDriver.generate(ask({ tools: [WEATHER_TOOL], toolChoice }), settings(), signal());
      expect(sentBody()).toEqual({
        model: MODEL,
        max_tokens: DEFAULT_MAX_TOKENS,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [WEATHER_TOOL_WIRE],
        ...(wire ? { tool_choice: wire } : {}),
      });
    });
  }

  it('returns tool_use blocks as tool calls with their input as JSON text, finishing with tool-calls', async () => {
    server.script({
      text: 'Let me check.',
      toolCalls: [
        { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'toolu_b', name: 'get_time', arguments: '{}' },
      ],
    });
    const result = await claudeDriver.generate(ask({ tools: [WEATHER_TOOL, TIME_TOOL] }), settings(), signal());
    expect(result).toEqual({
      text: 'Let me check.',
      model: MODEL,
      usage: { inputTokens: 12, outputTokens: 7 },
      finishReason: 'tool-calls',
      toolCalls: [
        { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'toolu_b', name: 'get_time', arguments: '{}' },
      ],
    });
  });

  it('assembles streamed input_json_delta pieces per block and delivers the calls in the finish part', async () => {
    server.script({
      deltas: ['Let me ', 'check.'],
      toolCalls: [
        { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'toolu_b', name: 'get_time', arguments: '' },
      ],
      argumentChunks: 3,
    });
    const parts = await collect(claudeDriver.stream(ask({ tools: [WEATHER_TOOL, TIME_TOOL] }), settings(), signal()));
    expect(textOf(parts)).toBe('Let me check.');
    const deltas = parts.filter((part) => part.type === 'tool-call-delta');
    expect(deltas[0]).toEqual({ type: 'tool-call-delta', index: 0, id: 'toolu_a', name: 'get_weather', argumentsDelta: '' });
    expect(deltas.filter((part) => part.index === 0).map((part) => part.argumentsDelta).join('')).toBe('{"city":"Paris"}');
    expect(deltas.filter((part) => part.index === 0)).toHaveLength(4);
    expect(finishOf(parts)).toEqual({
      type: 'finish',
      model: MODEL,
      usage: { inputTokens: 12, outputTokens: 7 },
      finishReason: 'tool-calls',
      // The tool without parameters streams no piece: its input is the {} it started with.
      toolCalls: [
        { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'toolu_b', name: 'get_time', arguments: '{}' },
      ],
    });
  });

  it('delivers tool input that is not JSON as the raw text instead of failing', async () => {
    const broken = '{"city": "Par';
    server.script({ text: '', toolCalls: [{ id: 'toolu_x', name: 'get_weather', arguments: broken }], argumentChunks: 2, finishReason: 'max_tokens' });
    const result = await claudeDriver.generate(ask({ tools: [WEATHER_TOOL] }), settings(), signal());
    expect(result).toMatchObject({ text: '', finishReason: 'length', toolCalls: [{ id: 'toolu_x', name: 'get_weather', arguments: broken }] });
    const finish = finishOf(await collect(claudeDriver.stream(ask({ tools: [WEATHER_TOOL] }), settings(), signal())));
    expect(finish).toMatchObject({ finishReason: 'length', toolCalls: [{ id: 'toolu_x', name: 'get_weather', arguments: broken }] });
  });

  it('sends no tools for a text response format', async () => {
    await claudeDriver.generate(ask({ responseFormat: { type: 'text' } }), settings(), signal());
    expect(sentBody()).toEqual({ model: MODEL, max_tokens: DEFAULT_MAX_TOKENS, messages: [{ role: 'user', content: 'Weather in Paris?' }] });
  });

  const formats = [
    { responseFormat: { type: 'json_object' }, inputSchema: { type: 'object' } },
    {
      responseFormat: { type: 'json_schema', name: 'weather', schema: { type: 'object', properties: { celsius: { type: 'number' } }, required: ['celsius'] } },
      inputSchema: { type: 'object', properties: { celsius: { type: 'number' } }, required: ['celsius'] },
    },
  ] as const;
  for (const { responseFormat, inputSchema } of formats) {
    it(`asks for ${responseFormat.type} with a forced "json" tool and answers with its input as text`, async () => {
      server.script({ text: '', toolCalls: [{ id: 'toolu_json', name: 'json', arguments: '{"celsius":21}' }], argumentChunks: 3 });
      const result = await claudeDriver.generate(ask({ responseFormat }), settings(), signal());
      expect(sentBody()).toEqual({
        model: MODEL,
        max_tokens: DEFAULT_MAX_TOKENS,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [{ name: 'json', description: 'Respond with the answer as JSON.', input_schema: inputSchema }],
        tool_choice: { type: 'tool', name: 'json' },
      });
      expect(result).toEqual({ text: '{"celsius":21}', model: MODEL, usage: { inputTokens: 12, outputTokens: 7 }, finishReason: 'stop', toolCalls: [] });

      const parts = await collect(claudeDriver.stream(ask({ responseFormat }), settings(), signal()));
      expect(parts.filter((part) => part.type === 'text-delta')).toHaveLength(3);
      expect(textOf(parts)).toBe('{"celsius":21}');
      expect(finishOf(parts)).toMatchObject({ finishReason: 'stop', toolCalls: [] });
    });
  }

  it('refuses, before any request, a JSON format with tools, a schema that is not an object, and non-object tool arguments', async () => {
    const refused = [
      ask({ responseFormat: { type: 'json_object' }, tools: [WEATHER_TOOL] }),
      ask({ responseFormat: { type: 'json_schema', name: 'list', schema: { type: 'array', items: { type: 'string' } } } }),
      ask({
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '["Paris"]' }] },
          { role: 'tool', toolCallId: 'toolu_1', name: 'get_weather', content: 'sunny' },
        ],
        tools: [WEATHER_TOOL],
      }),
    ];
    for (const request of refused) {
      expect(await generateError(claudeDriver.generate(request, settings(), signal()))).toMatchObject({ code: 'BAD_REQUEST', provider: 'CLAUDE' });
      // A stream is refused at the call, before the caller tells its client that a stream began.
      expect(() => claudeDriver.stream(request, settings(), signal())).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    }
    expect(server.requests).toHaveLength(0);
  });
});
