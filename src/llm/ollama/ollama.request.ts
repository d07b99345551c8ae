import type { ChatRequest, Message, Options, ToolCall as OllamaToolCall } from 'ollama';
import { z } from 'zod';
import { parseJsonText } from '../json-text.ts';
import type { ChatMessage, GenerateRequest, ToolCall } from '../types.ts';
import { toToolParams } from './ollama.tools.ts';

const argumentsObjectSchema = z.record(z.string(), z.unknown());

function toToolCall(call: ToolCall): OllamaToolCall {
  // Ollama wants the arguments as an object and answers 400 to anything else, so text that is not a
  // JSON object (the model's own invalid output, echoed back) goes as an empty object.
  return { function: { name: call.name, arguments: parseJsonText(argumentsObjectSchema, call.arguments) ?? {} } };
}

function toMessage(message: ChatMessage): Message {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      if (!message.toolCalls?.length) return { role: 'assistant', content: message.content };
      return { role: 'assistant', content: message.content, tool_calls: message.toolCalls.map(toToolCall) };
    // Ollama has no call ids: a result names the tool it answers.
    case 'tool':
      return { role: 'tool', content: message.content, tool_name: message.name };
  }
}

export function toChatRequest(request: GenerateRequest): ChatRequest {
  // Ollama takes sampling settings in `options`; num_predict is its max-tokens.
  const options: Partial<Options> = {};
  if (request.maxTokens !== undefined) options.num_predict = request.maxTokens;
  if (request.temperature !== undefined) options.temperature = request.temperature;
  return { model: request.model, messages: request.messages.map(toMessage), ...toToolParams(request), options };
}
