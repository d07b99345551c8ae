import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ollamaDriver } from '../../../src/llm/ollama/ollama.driver.ts';
import type { ResponseFormat, ToolChoice } from '../../../src/llm/types.ts';
import type { FakeServer } from '../../support/fake-llm/fake-http-server.ts';
import { startFakeOllamaServer } from '../../support/fake-llm/ollama.fake.ts';
import { CONVERSATION_QUESTION, describeToolCallContract, SCRIPTED_TOOL_CALLS, SYSTEM_TEXT } from './driver-contract.ts';

const MODEL = 'llama3.2';
const QUESTION = [{ role: 'user', content: CONVERSATION_QUESTION }];
const GENERATED_ID = /^call_[0-9a-f]{24}$/;

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

function wireTools(choice: ToolChoice | undefined): Record<string, unknown> {
  // No tool choice in Ollama's API: "none" is kept by offering no tools.
  return choice?.type === 'none' ? {} : { tools: WIRE_TOOLS };
}

function wireFormat(format: ResponseFormat): Record<string, unknown> {
  if (format.type === 'text') return {};
  return { format: format.type === 'json_object' ? 'json' : format.schema };
}

describeToolCallContract('Ollama', {
  driver: () => ollamaDriver,
  startServer: startFakeOllamaServer,
  settings: (server) => ({ apiKey: null, baseUrl: server.baseUrl }),
  model: MODEL,
  chatPath: '/api/chat',
  expectConversationBody(body, streaming) {
    expect(body).toEqual({
      model: MODEL,
      messages: [
        { role: 'system', content: SYSTEM_TEXT },
        { role: 'user', content: CONVERSATION_QUESTION },
        { role: 'assistant', content: 'Let me look.', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
        { role: 'tool', content: '{"celsius":18}', tool_name: 'get_weather' },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_time', arguments: { zone: 'Europe/Paris' } } }] },
        { role: 'tool', content: '{"time":"14:05"}', tool_name: 'get_time' },
      ],
      options: {},
      stream: streaming,
    });
  },
  expectToolsBody(body, choice) {
    expect(body).toEqual({ model: MODEL, messages: QUESTION, ...wireTools(choice), options: {}, stream: false });
  },
  expectResponseFormatBody(body, format) {
    expect(body).toEqual({ model: MODEL, messages: QUESTION, ...wireFormat(format), options: {}, stream: false });
  },
  // Ollama's calls have no id: the driver makes a random one for each.
  expectedToolCallId: () => expect.stringMatching(GENERATED_ID),
});

describe('Ollama tool-call specifics', () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await startFakeOllamaServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());
  const signal = () => new AbortController().signal;
  const settings = () => ({ apiKey: null, baseUrl: server.baseUrl });

  it('maps tools and every response format, but no forced tool choice (Ollama has none)', () => {
    expect(ollamaDriver.capabilities).toEqual({ tools: true, forcedToolChoice: false, responseFormats: ['text', 'json_object', 'json_schema'] });
  });

  it('gives every call a new id, so two turns never share one', async () => {
    server.script({ text: '', toolCalls: SCRIPTED_TOOL_CALLS.slice(0, 1) });
    const request = { model: MODEL, messages: [{ role: 'user' as const, content: CONVERSATION_QUESTION }] };
    const first = await ollamaDriver.generate(request, settings(), signal());
    const second = await ollamaDriver.generate(request, settings(), signal());
    expect(first.toolCalls[0]?.id).toMatch(GENERATED_ID);
    expect(first.toolCalls[0]?.id).not.toBe(second.toolCalls[0]?.id);
  });

  it('sends an earlier call whose arguments were not a JSON object with empty arguments', async () => {
    await ollamaDriver.generate(
      {
        model: MODEL,
        messages: [
          { role: 'user', content: CONVERSATION_QUESTION },
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Par' }] },
          { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: 'error: arguments are not JSON' },
        ],
      },
      settings(),
      signal(),
    );
    const body = server.requests[0]?.body;
    expect(body).toMatchObject({ messages: [{}, { tool_calls: [{ function: { name: 'get_weather', arguments: {} } }] }, {}] });
  });
});
