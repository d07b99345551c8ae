import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mistralDriver } from '../../../src/llm/mistral/mistral.driver.ts';
import { toMistralToolCallId } from '../../../src/llm/mistral/mistral.request.ts';
import { ToolCallAssembler, toToolCalls } from '../../../src/llm/mistral/mistral.tool-calls.ts';
import type { ResponseFormat, ToolChoice } from '../../../src/llm/types.ts';
import type { FakeServer } from '../../support/fake-llm/fake-http-server.ts';
import { startFakeMistralServer } from '../../support/fake-llm/mistral.fake.ts';
import { collect, CONVERSATION_QUESTION, describeToolCallContract, SCRIPTED_TOOL_CALLS, SYSTEM_TEXT } from './driver-contract.ts';

const MODEL = 'mistral-small-latest';

/** The conversation's ids (call_weather_1) are not Mistral's nine letters and digits: they go as a digest. */
const mistralId = (id: string): string => createHash('sha256').update(id).digest('hex').slice(0, 9);
const QUESTION = [{ role: 'user', content: CONVERSATION_QUESTION }];

const WIRE_TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'The weather in a city now.',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } },
];

function wireToolChoice(choice: ToolChoice | undefined): Record<string, unknown> {
  if (!choice) return {};
  switch (choice.type) {
    case 'tool':
      return { tool_choice: { type: 'function', function: { name: choice.name } } };
    case 'required':
      return { tool_choice: 'any' };
    default:
      return { tool_choice: choice.type };
  }
}

function wireResponseFormat(format: ResponseFormat): Record<string, unknown> {
  if (format.type === 'text') return {};
  if (format.type === 'json_object') return { response_format: { type: 'json_object' } };
  return { response_format: { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, strict: true } } };
}

describeToolCallContract('Mistral', {
  driver: () => mistralDriver,
  startServer: startFakeMistralServer,
  settings: (server) => ({ apiKey: 'mistral-test-tools', baseUrl: server.baseUrl }),
  model: MODEL,
  chatPath: '/v1/chat/completions',
  expectConversationBody(body, streaming) {
    expect(body).toEqual({
      model: MODEL,
      messages: [
        { role: 'system', content: SYSTEM_TEXT },
        { role: 'user', content: CONVERSATION_QUESTION },
        {
          role: 'assistant',
          content: 'Let me look.',
          tool_calls: [{ id: mistralId('call_weather_1'), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, index: 0 }],
          // The SDK always writes `prefix` (a continuation flag) on assistant messages.
          prefix: false,
        },
        { role: 'tool', tool_call_id: mistralId('call_weather_1'), name: 'get_weather', content: '{"celsius":18}' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ id: mistralId('call_time_2'), type: 'function', function: { name: 'get_time', arguments: '{"zone":"Europe/Paris"}' }, index: 0 }],
          prefix: false,
        },
        { role: 'tool', tool_call_id: mistralId('call_time_2'), name: 'get_time', content: '{"time":"14:05"}' },
      ],
      stream: streaming,
    });
  },
  expectToolsBody(body, choice) {
    expect(body).toEqual({ model: MODEL, messages: QUESTION, tools: WIRE_TOOLS, ...wireToolChoice(choice), stream: false });
  },
  expectResponseFormatBody(body, format) {
    expect(body).toEqual({ model: MODEL, messages: QUESTION, ...wireResponseFormat(format), stream: false });
  },
});

describe('Mistral tool-call specifics', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeMistralServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  it('maps tools, forced tool choices and every response format', () => {
    expect(mistralDriver.capabilities).toEqual({ tools: true, forcedToolChoice: true, responseFormats: ['text', 'json_object', 'json_schema'] });
  });

  it('reads several streamed calls sent whole in one chunk, as Mistral sends them', async () => {
    server.script({ text: '', toolCalls: SCRIPTED_TOOL_CALLS });
    const request = { model: MODEL, messages: [{ role: 'user' as const, content: CONVERSATION_QUESTION }] };
    const parts = await collect(mistralDriver.stream(request, { apiKey: 'mistral-test-tools', baseUrl: server.baseUrl }, new AbortController().signal));
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'tool-calls', toolCalls: SCRIPTED_TOOL_CALLS });
  });

  it('turns arguments the SDK hands over as an object into JSON text', () => {
    const calls = toToolCalls([{ id: 'abc123def', function: { name: 'get_weather', arguments: { city: 'Paris' } } }]);
    expect(calls).toEqual([{ id: 'abc123def', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
  });

  it('gives a call whose id the API left out (the SDK says "null") an id of its own', () => {
    expect(toToolCalls([{ id: 'null', function: { name: 'get_time', arguments: '{}' } }])[0]?.id).toBe('call_0');
    const stream = new ToolCallAssembler();
    stream.add({ id: 'null', function: { name: 'get_time', arguments: '{}' }, index: 0 });
    expect(stream.finish()).toEqual([{ id: 'call_0', name: 'get_time', arguments: '{}' }]);
  });

  it('keeps tool call ids that are already Mistral\'s and rewrites others to nine letters and digits', () => {
    expect(toMistralToolCallId('aB3xK9mP2')).toBe('aB3xK9mP2');
    expect(toMistralToolCallId('call_abc123')).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(toMistralToolCallId('call_abc123')).toBe(toMistralToolCallId('call_abc123'));
    expect(toMistralToolCallId('call_abc123')).not.toBe(toMistralToolCallId('call_abc124'));
  });

  it('tells two streamed calls under the same index apart by their ids', () => {
    const stream = new ToolCallAssembler();
    stream.add({ id: 'first0001', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, index: 0 });
    stream.add({ id: 'second002', function: { name: 'get_time', arguments: '{}' }, index: 0 });
    expect(stream.finish().map((call) => call.id)).toEqual(['first0001', 'second002']);
  });
});
