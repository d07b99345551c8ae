// What a caller asks a model, validated once and turned into the provider-neutral conversation the
// drivers map (src/llm/types.ts). Routing fields (provider, model, project) are the router's.
import { badInput } from '../../errors.ts';
import type { ChatMessage, ResponseFormat, ToolCall, ToolChoice, ToolDefinition } from '../../llm/types.ts';

export type ChatRole = 'SYSTEM' | 'USER' | 'ASSISTANT' | 'TOOL';

export interface ChatMessageInput {
  role: ChatRole;
  content?: string | null;
  toolCallId?: string | null;
  toolCalls?: readonly { id: string; name: string; arguments?: unknown }[] | null;
}

export interface ToolInput {
  name: string;
  description?: string | null;
  parameters?: unknown;
}

export interface ResponseFormatInput {
  type: 'TEXT' | 'JSON_OBJECT' | 'JSON_SCHEMA';
  name?: string | null;
  schema?: unknown;
}

/** The content of a call: exactly one of `prompt` and `messages`, with optional system text, tools and format. */
export interface CallRequestInput {
  prompt?: string | null;
  system?: string | null;
  messages?: readonly ChatMessageInput[] | null;
  tools?: readonly ToolInput[] | null;
  toolChoice?: string | null;
  responseFormat?: ResponseFormatInput | null;
  maxTokens?: number | null;
  temperature?: number | null;
  /** Labels for usage summaries (byTag); not sent to the provider. */
  tags?: readonly string[] | null;
  /** Serve from (and store in) the response cache; false: never, even when the configuration caches. */
  cache?: boolean | null;
}

/** A validated call body: everything of a driver request but the model, which the route decides. */
export interface CallRequest {
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  /** Sorted and unique; for usage accounting only, never sent to a provider. */
  tags: string[];
  /** The caller's word on the response cache; undefined: the configuration's cacheTtlSeconds decides. */
  cache?: boolean;
}

/** Bounds on one call's content; configurable (config: CALL_MAX_*). */
export interface CallLimits {
  maxMessages: number;
  maxCharacters: number;
  maxTools: number;
}

export const DEFAULT_CALL_LIMITS: CallLimits = { maxMessages: 500, maxCharacters: 1_000_000, maxTools: 128 };

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Validates a call's content; the first problem is BAD_USER_INPUT naming its field. */
export function toCallRequest(input: CallRequestInput, limits: CallLimits = DEFAULT_CALL_LIMITS): CallRequest {
  const messages = conversationOf(input, limits);
  const request: CallRequest = { messages, tags: tagsOf(input.tags), ...(typeof input.cache === 'boolean' ? { cache: input.cache } : {}) };
  if (input.maxTokens !== null && input.maxTokens !== undefined) {
    if (!Number.isInteger(input.maxTokens) || input.maxTokens < 1 || input.maxTokens > 1_000_000) {
      throw badInput('maxTokens must be between 1 and 1000000.', { field: 'maxTokens' });
    }
    request.maxTokens = input.maxTokens;
  }
  if (input.temperature !== null && input.temperature !== undefined) {
    if (!(input.temperature >= 0 && input.temperature <= 2)) throw badInput('temperature must be between 0 and 2.', { field: 'temperature' });
    request.temperature = input.temperature;
  }
  const tools = toolsOf(input.tools, limits);
  if (tools.length) request.tools = tools;
  const choice = toolChoiceOf(input.toolChoice, tools);
  if (choice) request.toolChoice = choice;
  const format = responseFormatOf(input.responseFormat);
  if (format) request.responseFormat = format;
  return request;
}

const TAG = /^[\w.:/@-]{1,64}$/;
const MAX_TAGS = 10;

function tagsOf(tags: readonly string[] | null | undefined): string[] {
  if (!tags?.length) return [];
  const unique = [...new Set(tags.map((tag) => tag.trim()))].sort();
  if (unique.length > MAX_TAGS) throw badInput(`tags holds more than ${MAX_TAGS} tags.`, { field: 'tags' });
  const bad = unique.find((tag) => !TAG.test(tag));
  if (bad !== undefined) throw badInput(`tags: "${bad.slice(0, 64)}" is not a tag: use 1 to 64 letters, digits and . : / @ _ - characters.`, { field: 'tags' });
  return unique;
}

function conversationOf(input: CallRequestInput, limits: CallLimits): ChatMessage[] {
  const hasPrompt = input.prompt !== null && input.prompt !== undefined;
  const hasMessages = input.messages !== null && input.messages !== undefined;
  if (hasPrompt === hasMessages) {
    throw badInput('Give exactly one of prompt and messages.', { field: hasPrompt ? 'messages' : 'prompt' });
  }
  const system: ChatMessage[] = input.system?.trim() ? [{ role: 'system', content: input.system }] : [];
  if (hasPrompt) {
    if (!input.prompt!.trim()) throw badInput('prompt must not be empty.', { field: 'prompt' });
    const messages: ChatMessage[] = [...system, { role: 'user', content: input.prompt! }];
    checkSize(messages, limits);
    return messages;
  }
  const given = input.messages!;
  if (given.length === 0) throw badInput('messages must not be empty.', { field: 'messages' });
  if (given.length > limits.maxMessages) throw badInput(`messages holds more than ${limits.maxMessages} messages.`, { field: 'messages' });
  const calls = new Map<string, string>();
  const messages: ChatMessage[] = [...system];
  for (const [index, message] of given.entries()) {
    const field = `messages[${index}]`;
    const content = message.content ?? '';
    if (message.role !== 'TOOL' && message.toolCallId) throw badInput(`${field}.toolCallId belongs only to TOOL messages.`, { field });
    if (message.role !== 'ASSISTANT' && message.toolCalls?.length) throw badInput(`${field}.toolCalls belongs only to ASSISTANT messages.`, { field });
    switch (message.role) {
      case 'SYSTEM':
      case 'USER':
        if (!content.trim()) throw badInput(`${field}.content must not be empty.`, { field });
        messages.push({ role: message.role === 'SYSTEM' ? 'system' : 'user', content });
        break;
      case 'ASSISTANT': {
        const toolCalls = (message.toolCalls ?? []).map((call, position) => toolCallOf(call, `${field}.toolCalls[${position}]`));
        if (!content.trim() && toolCalls.length === 0) throw badInput(`${field} needs content or toolCalls.`, { field });
        for (const call of toolCalls) calls.set(call.id, call.name);
        messages.push(toolCalls.length ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content });
        break;
      }
      case 'TOOL': {
        const id = message.toolCallId?.trim();
        if (!id) throw badInput(`${field}.toolCallId is required for a TOOL message.`, { field });
        const name = calls.get(id);
        if (!name) throw badInput(`${field}.toolCallId "${id.slice(0, 64)}" answers no tool call of an earlier ASSISTANT message.`, { field });
        messages.push({ role: 'tool', toolCallId: id, name, content });
        break;
      }
    }
  }
  const last = messages.at(-1)!;
  if (last.role !== 'user' && last.role !== 'tool') throw badInput('The last message must be a USER or TOOL message.', { field: 'messages' });
  checkSize(messages, limits);
  return messages;
}

function toolCallOf(call: { id: string; name: string; arguments?: unknown }, field: string): ToolCall {
  const id = call.id?.trim();
  if (!id || id.length > 200) throw badInput(`${field}.id must be 1 to 200 characters.`, { field });
  if (!TOOL_NAME.test(call.name)) throw badInput(`${field}.name must be 1 to 64 letters, digits, _ or -.`, { field });
  // Arguments travel as JSON text; a string is taken as the JSON text itself, as OpenAI's API sends it.
  const args = call.arguments === undefined || call.arguments === null ? '{}' : typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
  return { id, name: call.name, arguments: args };
}

function checkSize(messages: readonly ChatMessage[], limits: CallLimits): void {
  let characters = 0;
  for (const message of messages) {
    characters += message.content.length;
    if (message.role === 'assistant') for (const call of message.toolCalls ?? []) characters += call.arguments.length;
  }
  if (characters > limits.maxCharacters) {
    throw badInput(`The conversation is longer than ${limits.maxCharacters} characters.`, { field: 'messages' });
  }
}

function toolsOf(tools: readonly ToolInput[] | null | undefined, limits: CallLimits): ToolDefinition[] {
  if (!tools?.length) return [];
  if (tools.length > limits.maxTools) throw badInput(`tools holds more than ${limits.maxTools} tools.`, { field: 'tools' });
  const seen = new Set<string>();
  return tools.map((tool, index) => {
    const field = `tools[${index}]`;
    if (!TOOL_NAME.test(tool.name)) throw badInput(`${field}.name must be 1 to 64 letters, digits, _ or -.`, { field });
    if (seen.has(tool.name)) throw badInput(`${field}.name "${tool.name}" is given twice.`, { field });
    seen.add(tool.name);
    const parameters = tool.parameters ?? { type: 'object', properties: {} };
    checkJsonSchemaObject(parameters, `${field}.parameters`);
    return { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: parameters as Record<string, unknown> };
  });
}

function toolChoiceOf(choice: string | null | undefined, tools: readonly ToolDefinition[]): ToolChoice | undefined {
  if (choice === null || choice === undefined) return undefined;
  if (!tools.length) throw badInput('toolChoice needs tools.', { field: 'toolChoice' });
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice };
  if (tools.some((tool) => tool.name === choice)) return { type: 'tool', name: choice };
  throw badInput('toolChoice must be auto, none, required or the name of one of the tools.', { field: 'toolChoice' });
}

function responseFormatOf(format: ResponseFormatInput | null | undefined): ResponseFormat | undefined {
  if (!format || format.type === 'TEXT') return undefined;
  if (format.type === 'JSON_OBJECT') return { type: 'json_object' };
  if (format.schema === null || format.schema === undefined) throw badInput('responseFormat.schema is required for JSON_SCHEMA.', { field: 'responseFormat.schema' });
  checkJsonSchemaObject(format.schema, 'responseFormat.schema');
  const name = format.name?.trim() || 'response';
  if (!TOOL_NAME.test(name)) throw badInput('responseFormat.name must be 1 to 64 letters, digits, _ or -.', { field: 'responseFormat.name' });
  return { type: 'json_schema', name, schema: format.schema as Record<string, unknown> };
}

const SCHEMA_TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);

/**
 * A JSON Schema whose root describes an object (what every provider's tools and structured outputs take).
 * Checked structurally: `type` values, `properties` as schemas, `required` as names, `items` as a schema.
 */
function checkJsonSchemaObject(schema: unknown, field: string): void {
  if (!isRecord(schema)) throw badInput(`${field} must be a JSON Schema object.`, { field });
  if (schema.type !== 'object') throw badInput(`${field} must be a JSON Schema with type "object".`, { field });
  checkSchema(schema, field, 0);
}

function checkSchema(schema: unknown, field: string, depth: number): void {
  if (depth > 32) throw badInput(`${field} is nested too deeply.`, { field });
  if (typeof schema === 'boolean') return;
  if (!isRecord(schema)) throw badInput(`${field} must be a JSON Schema.`, { field });
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  for (const type of types) {
    if (typeof type !== 'string' || !SCHEMA_TYPES.has(type)) throw badInput(`${field}.type "${String(type)}" is not a JSON Schema type.`, { field });
  }
  if (schema.properties !== undefined) {
    if (!isRecord(schema.properties)) throw badInput(`${field}.properties must be an object of schemas.`, { field });
    for (const [name, property] of Object.entries(schema.properties)) checkSchema(property, `${field}.properties.${name}`, depth + 1);
  }
  if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((name) => typeof name === 'string'))) {
    throw badInput(`${field}.required must be a list of property names.`, { field });
  }
  if (schema.items !== undefined) checkSchema(schema.items, `${field}.items`, depth + 1);
  for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[keyword];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw badInput(`${field}.${keyword} must be a list of schemas.`, { field });
    list.forEach((entry, index) => checkSchema(entry, `${field}.${keyword}[${index}]`, depth + 1));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
