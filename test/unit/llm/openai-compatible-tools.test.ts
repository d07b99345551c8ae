// Tools and response formats over the one OpenAI-compatible driver, for each API that uses it:
// the wire shape is chat completions' for all three, so the expectations are shared.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCopilotDriver } from '../../../src/llm/copilot/copilot.driver.ts';
import { grokDriver } from '../../../src/llm/grok/grok.driver.ts';
import { ToolCallAssembler } from '../../../src/llm/openai-compatible/openai-compatible.tool-calls.ts';
import { openAiDriver } from '../../../src/llm/openai/openai.driver.ts';
import type { LlmDriver, ResponseFormat, ToolChoice } from '../../../src/llm/types.ts';
import { type FakeCopilotServer, startFakeCopilotServer } from '../../support/fake-llm/copilot.fake.ts';
import type { FakeServer } from '../../support/fake-llm/fake-http-server.ts';
import { startFakeOpenAiServer } from '../../support/fake-llm/openai-compatible.fake.ts';
import {
  collect,
  CONVERSATION_QUESTION,
  describeToolCallContract,
  SCRIPTED_TOOL_CALLS,
  SYSTEM_TEXT,
  type ToolCallContract,
} from './driver-contract.ts';

function streamFields(streaming: boolean): Record<string, unknown> {
  return streaming ? { stream: true, stream_options: { include_usage: true } } : {};
}

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
  return { tool_choice: choice.type === 'tool' ? { type: 'function', function: { name: choice.name } } : choice.type };
}

function wireResponseFormat(format: ResponseFormat): Record<string, unknown> {
  if (format.type === 'text') return {};
  if (format.type === 'json_object') return { response_format: { type: 'json_object' } };
  return { response_format: { type: 'json_schema', json_schema: { name: format.name, schema: format.schema } } };
}

function chatCompletionsWire(model: string): Pick<ToolCallContract, 'expectConversationBody' | 'expectToolsBody' | 'expectResponseFormatBody'> {
  const question = [{ role: 'user', content: CONVERSATION_QUESTION }];
  return {
    expectConversationBody(body, streaming) {
      expect(body).toEqual({
        model,
        messages: [
          { role: 'system', content: SYSTEM_TEXT },
          { role: 'user', content: CONVERSATION_QUESTION },
          {
            role: 'assistant',
            content: 'Let me look.',
            tool_calls: [{ id: 'call_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          { role: 'tool', tool_call_id: 'call_weather_1', content: '{"celsius":18}' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_time_2', type: 'function', function: { name: 'get_time', arguments: '{"zone":"Europe/Paris"}' } }],
          },
          { role: 'tool', tool_call_id: 'call_time_2', content: '{"time":"14:05"}' },
        ],
        ...streamFields(streaming),
      });
    },
    expectToolsBody(body, choice) {
      expect(body).toEqual({ model, messages: question, tools: WIRE_TOOLS, ...wireToolChoice(choice) });
    },
    expectResponseFormatBody(body, format) {
      expect(body).toEqual({ model, messages: question, ...wireResponseFormat(format) });
    },
  };
}

const openAiSettings = (server: FakeServer) => ({ apiKey: 'sk-test-openai-tools', baseUrl: `${server.baseUrl}/v1` });

describeToolCallContract('OpenAI', {
  driver: () => openAiDriver,
  startServer: startFakeOpenAiServer,
  settings: openAiSettings,
  model: 'gpt-4o-mini',
  chatPath: '/v1/chat/completions',
  ...chatCompletionsWire('gpt-4o-mini'),
});

describeToolCallContract('Grok', {
  driver: () => grokDriver,
  startServer: startFakeOpenAiServer,
  settings: (server) => ({ apiKey: 'xai-test-grok-tools', baseUrl: `${server.baseUrl}/v1` }),
  model: 'grok-3-mini',
  chatPath: '/v1/chat/completions',
  ...chatCompletionsWire('grok-3-mini'),
});

const copilotDriver = createCopilotDriver();

describeToolCallContract('Copilot', {
  driver: () => copilotDriver,
  startServer: startFakeCopilotServer,
  settings: (server) => ({ apiKey: 'ghp_testGithubTokenTools', tokenUrl: (server as FakeCopilotServer).tokenUrl }),
  model: 'gpt-4o',
  chatPath: '/chat/completions',
  ...chatCompletionsWire('gpt-4o'),
});

describe('OpenAI-compatible capabilities', () => {
  it.each<[string, LlmDriver]>([
    ['OpenAI', openAiDriver],
    ['Grok', grokDriver],
    ['Copilot', copilotDriver],
  ])('%s maps tools, forced tool choices and every response format', (_name, driver) => {
    expect(driver.capabilities).toEqual({ tools: true, forcedToolChoice: true, responseFormats: ['text', 'json_object', 'json_schema'] });
  });
});

describe('OpenAI-compatible tool-call quirks', () => {
  let openAi: FakeServer;
  let copilot: FakeCopilotServer;
  const signal = (): AbortSignal => new AbortController().signal;
  const question = { messages: [{ role: 'user' as const, content: CONVERSATION_QUESTION }] };

  beforeAll(async () => {
    [openAi, copilot] = await Promise.all([startFakeOpenAiServer(), startFakeCopilotServer()]);
  });
  afterAll(async () => {
    await Promise.all([openAi.close(), copilot.close()]);
  });
  beforeEach(() => {
    openAi.reset();
    copilot.reset();
  });

  it('reads text and tool calls that Copilot splits across two choices (Claude models)', async () => {
    const [weather] = SCRIPTED_TOOL_CALLS;
    copilot.script({ text: 'Let me look.', toolCalls: weather ? [weather] : [] });
    const result = await createCopilotDriver().generate(
      { model: 'claude-sonnet-4', ...question },
      { apiKey: 'ghp_testGithubTokenTools', tokenUrl: copilot.tokenUrl },
      signal(),
    );
    expect(result).toMatchObject({ text: 'Let me look.', finishReason: 'tool-calls', toolCalls: weather ? [weather] : [] });
  });

  it('reports tool-calls when a forced choice ends with finish_reason stop', async () => {
    // OpenAI answers a named tool choice with the call and "stop".
    openAi.script({ text: '', toolCalls: SCRIPTED_TOOL_CALLS.slice(0, 1), finishReason: 'stop' });
    const request = { model: 'gpt-4o-mini', ...question, toolChoice: { type: 'tool', name: 'get_weather' } as const };
    expect((await openAiDriver.generate(request, openAiSettings(openAi), signal())).finishReason).toBe('tool-calls');
    const finish = (await collect(openAiDriver.stream(request, openAiSettings(openAi), signal()))).at(-1);
    expect(finish).toMatchObject({ type: 'finish', finishReason: 'tool-calls' });
  });

  it('reports each streamed fragment as a tool-call delta, the id and name on the first only', async () => {
    const [weather] = SCRIPTED_TOOL_CALLS;
    openAi.script({ text: '', toolCalls: weather ? [weather] : [], argumentChunks: 2 });
    const parts = await collect(openAiDriver.stream({ model: 'gpt-4o-mini', ...question }, openAiSettings(openAi), signal()));
    expect(parts.filter((part) => part.type === 'tool-call-delta')).toEqual([
      { type: 'tool-call-delta', index: 0, id: 'call_weather_9', name: 'get_weather', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"city":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"Paris"}' },
    ]);
  });

  it('tells parallel calls apart by id when a server gives them all the same index', () => {
    const calls = new ToolCallAssembler();
    calls.add(0, { index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } });
    calls.add(0, { index: 0, function: { arguments: '"Paris"}' } });
    calls.add(0, { index: 0, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } });
    calls.add(0, { index: 0, id: 'call_b', function: { arguments: '' } });
    expect(calls.finish()).toEqual([
      { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'call_b', name: 'get_time', arguments: '{}' },
    ]);
  });
});
