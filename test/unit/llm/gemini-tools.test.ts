// Function calling and JSON answers through the real @google/genai SDK against the fake Gemini API.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { geminiDriver } from '../../../src/llm/gemini/gemini.driver.ts';
import type { GenerateRequest, StreamPart, ToolDefinition } from '../../../src/llm/types.ts';
import type { FakeServer } from '../../support/fake-llm/fake-http-server.ts';
import { startFakeGeminiServer } from '../../support/fake-llm/gemini.fake.ts';
import { collect, generateError, textOf } from './driver-contract.ts';

const API_KEY = 'AIzaSyTestGeminiSECRET0123456789abcdefgh';
const MODEL = 'gemini-2.5-flash';
const GENERATED_ID = /^gemini-call-[0-9a-f-]{36}$/;

const WEATHER_TOOL: ToolDefinition = {
  name: 'get_weather',
  description: 'The weather in a city today.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};
const TIME_TOOL: ToolDefinition = { name: 'get_time', parameters: { type: 'object', properties: {} } };
const TOOLS_WIRE = [
  {
    functionDeclarations: [
      { name: 'get_weather', description: 'The weather in a city today.', parametersJsonSchema: WEATHER_TOOL.parameters },
      { name: 'get_time', parametersJsonSchema: TIME_TOOL.parameters },
    ],
  },
];
const QUESTION_WIRE = [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }];

function ask(extra: Partial<GenerateRequest> = {}): GenerateRequest {
  return { model: MODEL, messages: [{ role: 'user', content: 'Weather in Paris?' }], ...extra };
}

function finishOf(parts: readonly StreamPart[]): Extract<StreamPart, { type: 'finish' }> {
  const last = parts.at(-1);
  if (last?.type !== 'finish') throw new Error(`expected a finish part, got ${JSON.stringify(last)}`);
  return last;
}

describe('Gemini function calling and response formats', () => {
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
  const sentBody = (): unknown => server.requests.at(-1)?.body;

  it('declares tools, forced tool choice and both JSON formats, but not tools with a JSON format', () => {
    expect(geminiDriver.capabilities).toEqual({ tools: true, forcedToolChoice: true, responseFormats: ['text', 'json_object', 'json_schema'], toolsWithResponseFormat: false });
  });

  it('sends tool calls as functionCall parts and the tool results, with the next user text, in one user turn', async () => {
    await geminiDriver.generate(
      ask({
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Weather in Paris and Rome, and the time?' },
          {
            role: 'assistant',
            content: 'Checking.',
            toolCalls: [
              { id: 'issued-by-gemini', name: 'get_weather', arguments: '{"city":"Paris"}' },
              { id: 'gemini-call-00000000-0000-4000-8000-000000000000', name: 'get_weather', arguments: '{"city":"Rome"}' },
              { id: 'gemini-call-00000000-0000-4000-8000-000000000001', name: 'get_time', arguments: '' },
            ],
          },
          { role: 'tool', toolCallId: 'issued-by-gemini', name: 'get_weather', content: '{"celsius":21}' },
          { role: 'tool', toolCallId: 'gemini-call-00000000-0000-4000-8000-000000000000', name: 'get_weather', content: '[18, 19]' },
          { role: 'tool', toolCallId: 'gemini-call-00000000-0000-4000-8000-000000000001', name: 'get_time', content: 'ten o\'clock' },
          { role: 'user', content: 'Thanks. Tomorrow?' },
        ],
        tools: [WEATHER_TOOL, TIME_TOOL],
      }),
      settings(),
      signal(),
    );
    expect(sentBody()).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris and Rome, and the time?' }] },
        {
          role: 'model',
          parts: [
            { text: 'Checking.' },
            // Ids we made up for Gemini's id-less calls are not sent back; Gemini's own are.
            { functionCall: { id: 'issued-by-gemini', name: 'get_weather', args: { city: 'Paris' } } },
            { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
            { functionCall: { name: 'get_time', args: {} } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { id: 'issued-by-gemini', name: 'get_weather', response: { celsius: 21 } } },
            { functionResponse: { name: 'get_weather', response: { result: [18, 19] } } },
            { functionResponse: { name: 'get_time', response: { result: "ten o'clock" } } },
            { text: 'Thanks. Tomorrow?' },
          ],
        },
      ],
      systemInstruction: { role: 'user', parts: [{ text: 'You are terse.' }] },
      tools: TOOLS_WIRE,
      generationConfig: {},
    });
  });

  const choices = [
    { toolChoice: undefined, wire: undefined },
    { toolChoice: { type: 'auto' }, wire: { mode: 'AUTO' } },
    { toolChoice: { type: 'none' }, wire: { mode: 'NONE' } },
    { toolChoice: { type: 'required' }, wire: { mode: 'ANY' } },
    { toolChoice: { type: 'tool', name: 'get_time' }, wire: { mode: 'ANY', allowedFunctionNames: ['get_time'] } },
  ] as const;
  for (const { toolChoice, wire } of choices) {
    it(`sends tool choice ${toolChoice?.type ?? '(none given)'} as ${JSON.stringify(wire)}`, async () => {
      await geminiDriver.generate(ask({ tools: [WEATHER_TOOL, TIME_TOOL], toolChoice }), settings(), signal());
      expect(sentBody()).toEqual({
        contents: QUESTION_WIRE,
        tools: TOOLS_WIRE,
        ...(wire ? { toolConfig: { functionCallingConfig: wire } } : {}),
        generationConfig: {},
      });
    });
  }

  const formats = [
    { responseFormat: { type: 'text' }, generationConfig: {} },
    { responseFormat: { type: 'json_object' }, generationConfig: { responseMimeType: 'application/json' } },
    {
      responseFormat: { type: 'json_schema', name: 'weather', schema: { type: 'object', properties: { celsius: { type: 'number' } }, required: ['celsius'] } },
      generationConfig: {
        responseMimeType: 'application/json',
        responseJsonSchema: { type: 'object', properties: { celsius: { type: 'number' } }, required: ['celsius'] },
      },
    },
  ] as const;
  for (const { responseFormat, generationConfig } of formats) {
    it(`asks for ${responseFormat.type} in the generation config`, async () => {
      server.script({ text: '{"celsius":21}' });
      const result = await geminiDriver.generate(ask({ responseFormat }), settings(), signal());
      expect(sentBody()).toEqual({ contents: QUESTION_WIRE, generationConfig });
      expect(result).toMatchObject({ text: '{"celsius":21}', finishReason: 'stop', toolCalls: [] });
    });
  }

  it('returns functionCall parts as tool calls, making up an id where Gemini gives none, and finishes with tool-calls', async () => {
    server.script({
      text: 'Let me check.',
      toolCalls: [
        { id: '', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'issued-by-gemini', name: 'get_time', arguments: '{}' },
      ],
    });
    const result = await geminiDriver.generate(ask({ tools: [WEATHER_TOOL, TIME_TOOL] }), settings(), signal());
    expect(result).toEqual({
      text: 'Let me check.',
      model: MODEL,
      usage: { inputTokens: 12, outputTokens: 7 },
      finishReason: 'tool-calls',
      toolCalls: [
        { id: expect.stringMatching(GENERATED_ID), name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'issued-by-gemini', name: 'get_time', arguments: '{}' },
      ],
    });
  });

  it('collects streamed functionCall parts and delivers them in the finish part', async () => {
    server.script({
      deltas: ['Let me ', 'check.'],
      toolCalls: [
        { id: '', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: '', name: 'get_weather', arguments: '{"city":"Rome"}' },
      ],
    });
    const parts = await collect(geminiDriver.stream(ask({ tools: [WEATHER_TOOL] }), settings(), signal()));
    expect(textOf(parts)).toBe('Let me check.');
    const finish = finishOf(parts);
    expect(finish).toEqual({
      type: 'finish',
      model: MODEL,
      usage: { inputTokens: 12, outputTokens: 7 },
      finishReason: 'tool-calls',
      toolCalls: [
        { id: expect.stringMatching(GENERATED_ID), name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: expect.stringMatching(GENERATED_ID), name: 'get_weather', arguments: '{"city":"Rome"}' },
      ],
    });
    expect(new Set(finish.toolCalls.map((call) => call.id)).size).toBe(2);
    expect(parts.filter((part) => part.type === 'tool-call-delta').map((part) => part.type === 'tool-call-delta' && part.index)).toEqual([0, 1]);
  });

  it('passes on function arguments that are not an object as raw text instead of failing', async () => {
    const broken = '{"city": "Par';
    server.script({ text: '', toolCalls: [{ id: '', name: 'get_weather', arguments: broken }], finishReason: 'MAX_TOKENS' });
    const result = await geminiDriver.generate(ask({ tools: [WEATHER_TOOL] }), settings(), signal());
    expect(result).toMatchObject({ text: '', finishReason: 'length', toolCalls: [{ name: 'get_weather', arguments: broken }] });
    const finish = finishOf(await collect(geminiDriver.stream(ask({ tools: [WEATHER_TOOL] }), settings(), signal())));
    expect(finish).toMatchObject({ finishReason: 'length', toolCalls: [{ name: 'get_weather', arguments: broken }] });
  });

  it('refuses, before any request, a JSON format with tools and tool arguments that are not an object', async () => {
    const refused = [
      ask({ responseFormat: { type: 'json_object' }, tools: [WEATHER_TOOL] }),
      ask({
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '"Paris"' }] },
          { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: 'sunny' },
        ],
        tools: [WEATHER_TOOL],
      }),
    ];
    for (const request of refused) {
      expect(await generateError(geminiDriver.generate(request, settings(), signal()))).toMatchObject({ code: 'BAD_REQUEST', provider: 'GEMINI' });
      // A stream is refused at the call, before the caller tells its client that a stream began.
      expect(() => geminiDriver.stream(request, settings(), signal())).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    }
    expect(server.requests).toHaveLength(0);
  });
});
