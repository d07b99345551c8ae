// A Chat Completions body as the pipeline's call content (CallRequestInput): messages, tools, tool choice,
// response format, limits. Validation that is OpenAI's shape lives here; the call's own rules (tool call
// ids answered, the last message, JSON Schemas) stay the pipeline's, reported under OpenAI's names.
import type { z } from 'zod';
import type { ChatMessageInput, CallRequestInput, ResponseFormatInput, ToolInput } from '../calls/call-request.ts';
import { chatRequestSchema, type ChatRequest, type ChatRequestContent, type ChatRequestMessage, type ChatRequestTool } from './chat-request.shape.ts';
import { refused, unsupported } from './openai-errors.ts';
import { refusedField } from './unsupported-fields.ts';

export interface ChatCall {
  /** The model as the client named it (see openai-models.ts). */
  modelName: string;
  content: CallRequestInput;
  stream: boolean;
  includeUsage: boolean;
}

export function toChatCall(body: unknown): ChatCall {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw refused(null, 'The request body must be a JSON object.');
  const refusal = refusedField(body as Record<string, unknown>);
  if (refusal) throw unsupported(refusal.field, `'${refusal.field}' is not supported: ${refusal.why}`);
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) throw fromIssue(parsed.error.issues[0]!);
  const request = parsed.data;
  const stream = request.stream === true;
  if (request.stream_options && !stream) throw refused('stream_options', "'stream_options' is only allowed when 'stream' is true.");
  return {
    modelName: request.model,
    content: {
      messages: request.messages.map(messageOf),
      tools: request.tools?.map(toolOf) ?? null,
      toolChoice: toolChoiceOf(request.tool_choice),
      responseFormat: responseFormatOf(request.response_format),
      maxTokens: maxTokensOf(request),
      temperature: request.temperature ?? null,
    },
    stream,
    includeUsage: stream && request.stream_options?.include_usage === true,
  };
}

function paramOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${String(key)}` : String(key)), '');
}

function fromIssue(issue: z.core.$ZodIssue): Error {
  const at = paramOf(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const param = at ? `${at}.${issue.keys[0]}` : issue.keys[0]!;
    return refused(param, `Unknown parameter: '${param}'.`, 'unknown_parameter');
  }
  const code = issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value';
  return refused(at || null, `Invalid value for '${at || 'body'}': ${issue.message}.`, code);
}

function textOf(content: ChatRequestContent | null | undefined, field: string, allowRefusal = false): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, index) => {
      const param = `${field}.content[${index}]`;
      if (part.type === 'refusal' && allowRefusal && typeof part.refusal === 'string') return part.refusal;
      if (part.type !== 'text') throw unsupported(`${param}.type`, `'${param}.type' '${part.type}' is not supported: Agora sends text only.`);
      if (typeof part.text !== 'string') throw refused(`${param}.text`, `'${param}.text' must be a string.`, 'invalid_type');
      return part.text;
    })
    .join('\n');
}

function messageOf(message: ChatRequestMessage, index: number): ChatMessageInput {
  const field = `messages[${index}]`;
  if ('name' in message && message.name) throw unsupported(`${field}.name`, `'${field}.name' is not supported: participant names are not carried to providers.`);
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'SYSTEM', content: textOf(message.content, field) };
    case 'user':
      return { role: 'USER', content: textOf(message.content, field) };
    case 'tool':
      return { role: 'TOOL', toolCallId: message.tool_call_id, content: textOf(message.content, field) };
    case 'assistant': {
      if (message.audio) throw unsupported(`${field}.audio`, `'${field}.audio' is not supported: Agora answers text only.`);
      if (message.function_call) throw unsupported(`${field}.function_call`, `'${field}.function_call' is not supported: use tool_calls.`);
      const toolCalls = (message.tool_calls ?? []).map((call, position) => {
        const param = `${field}.tool_calls[${position}]`;
        if (call.type !== 'function' || !call.function) throw unsupported(`${param}.type`, `'${param}.type' '${call.type}' is not supported: use function tools.`);
        return { id: call.id, name: call.function.name, arguments: call.function.arguments };
      });
      // A refusal the model gave earlier is what it said in that turn.
      const content = [textOf(message.content, field, true), message.refusal ?? ''].filter(Boolean).join('\n');
      return { role: 'ASSISTANT', content, toolCalls };
    }
  }
}

function toolOf(tool: ChatRequestTool, index: number): ToolInput {
  const field = `tools[${index}]`;
  if (tool.type !== 'function' || !tool.function) throw unsupported(`${field}.type`, `'${field}.type' '${tool.type}' is not supported: use function tools.`);
  if (tool.function.strict) throw unsupported(`${field}.function.strict`, strictRefusal(`${field}.function.strict`));
  return { name: tool.function.name, description: tool.function.description ?? null, parameters: tool.function.parameters ?? undefined };
}

function toolChoiceOf(choice: ChatRequest['tool_choice']): string | null {
  if (choice === null || choice === undefined || typeof choice === 'string') return choice ?? null;
  if (choice.type !== 'function' || !choice.function) throw unsupported('tool_choice.type', `'tool_choice.type' '${choice.type}' is not supported: name one function.`);
  return choice.function.name;
}

function responseFormatOf(format: ChatRequest['response_format']): ResponseFormatInput | null {
  if (!format || format.type === 'text') return null;
  if (format.type === 'json_object') return { type: 'JSON_OBJECT' };
  const schema = format.json_schema;
  if (!schema) throw refused('response_format.json_schema', "'response_format.json_schema' is required when the type is 'json_schema'.");
  if (schema.strict) throw unsupported('response_format.json_schema.strict', strictRefusal('response_format.json_schema.strict'));
  if (schema.description) throw unsupported('response_format.json_schema.description', "'response_format.json_schema.description' is not supported: describe the format in a message.");
  return { type: 'JSON_SCHEMA', name: schema.name, schema: schema.schema ?? null };
}

function strictRefusal(param: string): string {
  return `'${param}: true' is not supported: Agora checks that answers parse as JSON but does not make every provider enforce a schema strictly. Leave it out or send false.`;
}

function maxTokensOf(request: ChatRequest): number | null {
  const { max_tokens: legacy, max_completion_tokens: current } = request;
  if (legacy != null && current != null && legacy !== current) {
    throw refused('max_tokens', "Give one of 'max_tokens' and 'max_completion_tokens' (they mean the same here).");
  }
  return current ?? legacy ?? null;
}
