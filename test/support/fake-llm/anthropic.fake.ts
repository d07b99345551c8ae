// Anthropic's Messages API (POST /v1/messages): one JSON message, or SSE with named events
// message_start, content_block_start, ping, content_block_delta, content_block_stop,
// message_delta, message_stop, as @anthropic-ai/sdk parses them. Scripted tool calls are
// tool_use blocks after the text; streamed, each is content_block_start (empty input),
// input_json_delta pieces of the arguments text, content_block_stop.
import { type Exchange, type FakeScript, type FakeServer, scriptDeltas, startFakeHttpServer, type StreamFrames } from './fake-http-server.ts';

type ScriptedToolCall = NonNullable<FakeScript['toolCalls']>[number];

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function requestModel(exchange: Exchange): unknown {
  const { body } = exchange.request;
  return typeof body === 'object' && body !== null ? Reflect.get(body, 'model') : undefined;
}

function toolCallsOf(script: FakeScript): ScriptedToolCall[] {
  return script.toolCalls ?? [];
}

/** An answer that only calls tools has no text block, as Claude sends it. */
function hasTextBlock(script: FakeScript): boolean {
  return script.text !== '' || toolCallsOf(script).length === 0;
}

function stopReason(script: FakeScript): string {
  return script.finishReason ?? (toolCallsOf(script).length > 0 ? 'tool_use' : 'end_turn');
}

/** The input object Claude would send; scripted arguments that are not JSON go out as the raw string (a broken proxy). */
function toolInput(call: ScriptedToolCall): unknown {
  try {
    return JSON.parse(call.arguments);
  } catch {
    return call.arguments;
  }
}

/** The arguments text in `pieces` parts of about equal length (code points, so none is cut in two). */
function splitArguments(text: string, pieces: number): string[] {
  const characters = Array.from(text);
  const size = Math.max(1, Math.ceil(characters.length / Math.max(1, pieces)));
  const parts: string[] = [];
  for (let start = 0; start < characters.length; start += size) parts.push(characters.slice(start, start + size).join(''));
  return parts;
}

function toolBlockFrames(call: ScriptedToolCall, index: number, pieces: number): string[] {
  return [
    event('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: call.id, name: call.name, input: {}, caller: { type: 'direct' } },
    }),
    ...splitArguments(call.arguments, pieces).map((partial_json) =>
      event('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } }),
    ),
    event('content_block_stop', { type: 'content_block_stop', index }),
  ];
}

function textDelta(text: string): string {
  return event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
}

function streamFrames(exchange: Exchange): StreamFrames {
  const { usage } = exchange.script;
  const textBlock = hasTextBlock(exchange.script);
  const firstToolIndex = textBlock ? 1 : 0;
  const pieces = exchange.script.argumentChunks ?? 1;
  const message = {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: requestModel(exchange),
    content: [],
    stop_reason: null,
    stop_sequence: null,
    ...(usage ? { usage: { input_tokens: usage.inputTokens, output_tokens: 1 } } : {}),
  };
  return {
    contentType: 'text/event-stream',
    before: [
      event('message_start', { type: 'message_start', message }),
      ...(textBlock ? [event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })] : []),
      event('ping', { type: 'ping' }),
    ],
    deltas: textBlock ? scriptDeltas(exchange.script).map((text) => textDelta(text)) : [],
    after: [
      ...(textBlock ? [event('content_block_stop', { type: 'content_block_stop', index: 0 })] : []),
      ...toolCallsOf(exchange.script).flatMap((call, position) => toolBlockFrames(call, firstToolIndex + position, pieces)),
      event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason(exchange.script), stop_sequence: null },
        ...(usage ? { usage: { output_tokens: usage.outputTokens } } : {}),
      }),
      event('message_stop', { type: 'message_stop' }),
    ],
    errorFrame: event('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
  };
}

function message(exchange: Exchange): unknown {
  const { usage } = exchange.script;
  const text = hasTextBlock(exchange.script) ? [{ type: 'text', text: exchange.script.text }] : [];
  const toolUses = toolCallsOf(exchange.script).map((call) => ({
    type: 'tool_use',
    id: call.id,
    name: call.name,
    input: toolInput(call),
    caller: { type: 'direct' },
  }));
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: requestModel(exchange),
    content: [...text, ...toolUses],
    stop_reason: stopReason(exchange.script),
    stop_sequence: null,
    ...(usage ? { usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens } } : {}),
  };
}

export function startFakeAnthropicServer(): Promise<FakeServer> {
  return startFakeHttpServer([
    {
      method: 'POST',
      path: /^\/v1\/messages$/,
      async handle(exchange) {
        const { body } = exchange.request;
        const streaming = typeof body === 'object' && body !== null && Reflect.get(body, 'stream') === true;
        if (streaming) await exchange.playStream(streamFrames(exchange));
        else exchange.sendJson(200, message(exchange));
      },
    },
  ]);
}
