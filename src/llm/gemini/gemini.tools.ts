// Function declarations, the function calling mode and function calls in Gemini's terms.
import { randomUUID } from 'node:crypto';
import type { FunctionCall, FunctionCallingConfigMode, Part, Tool, ToolConfig } from '@google/genai';
import { z } from 'zod';
import { ProviderCallError } from '../errors.ts';
import { parseJsonText } from '../json-text.ts';
import type { ToolCall, ToolChoice, ToolDefinition } from '../types.ts';

/**
 * Gemini API models (2.x) give function calls no id, but the pipeline matches tool results to calls
 * by id: ours carry this prefix, so that they are not sent back as if Gemini had issued them.
 */
const GENERATED_ID_PREFIX = 'gemini-call-';

export function refusedRequest(message: string): ProviderCallError {
  return new ProviderCallError({ provider: 'GEMINI', code: 'BAD_REQUEST', message });
}

/** parametersJsonSchema takes the JSON Schema as it is; `parameters` goes through the SDK's lossy OpenAPI conversion. */
export function toGeminiTools(tools: readonly ToolDefinition[]): Tool[] {
  return [
    {
      functionDeclarations: tools.map((tool) => ({
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parametersJsonSchema: tool.parameters,
      })),
    },
  ];
}

export function toToolConfig(choice: ToolChoice): ToolConfig {
  switch (choice.type) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' as FunctionCallingConfigMode } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' as FunctionCallingConfigMode } };
    case 'required':
      return { functionCallingConfig: { mode: 'ANY' as FunctionCallingConfigMode } };
    case 'tool':
      return { functionCallingConfig: { mode: 'ANY' as FunctionCallingConfigMode, allowedFunctionNames: [choice.name] } };
  }
}

/** The id to send back to Gemini, or none when we made it up. */
export function issuedId(id: string): { id?: string } {
  return id.startsWith(GENERATED_ID_PREFIX) ? {} : { id };
}

const argumentsSchema = z.record(z.string(), z.unknown());

/** A tool call of an earlier turn as a functionCall part; its arguments must be a JSON object. */
export function toFunctionCallPart(call: ToolCall): Part {
  // Some models write no arguments at all for a tool without parameters.
  const args = call.arguments.trim() === '' ? {} : parseJsonText(argumentsSchema, call.arguments);
  if (args === null) throw refusedRequest(`The arguments of the call to tool "${call.name}" must be a JSON object for Gemini.`);
  return { functionCall: { ...issuedId(call.id), name: call.name, args } };
}

/** Gemini wants an object as a function's response: other JSON, or plain text, is wrapped as { result }. */
const functionResponseSchema = z.union([argumentsSchema, z.unknown().transform((result) => ({ result }))]);

export function toFunctionResponsePart(toolCallId: string, name: string, content: string): Part {
  const response = parseJsonText(functionResponseSchema, content) ?? { result: content };
  return { functionResponse: { ...issuedId(toolCallId), name, response } };
}

/** A functionCall part -> a neutral call. Arguments a proxy sent as a string are passed on as they came. */
export function toToolCall(call: FunctionCall): ToolCall {
  const args: unknown = call.args;
  return {
    id: call.id ?? `${GENERATED_ID_PREFIX}${randomUUID()}`,
    name: call.name ?? '',
    arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
  };
}

export function toolCallsOf(parts: readonly Part[] | undefined): ToolCall[] {
  return (parts ?? []).flatMap((part) => (part.functionCall ? [toToolCall(part.functionCall)] : []));
}
