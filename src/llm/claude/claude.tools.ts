// Tools, tool choice and JSON answers in the Messages API's terms, and the way back for tool inputs.
import type { Tool, ToolChoice } from '@anthropic-ai/sdk/resources/messages';
import { z } from 'zod';
import { ProviderCallError } from '../errors.ts';
import { parseJsonText } from '../json-text.ts';
import type { GenerateRequest, ToolChoice as NeutralToolChoice, ToolDefinition } from '../types.ts';

/**
 * The forced tool that carries a JSON answer. The SDK has `output_config.format`, but only Claude 4.5
 * and later accept it (the catalogue's default, claude-sonnet-4, answers 400) and it has no
 * "any object" mode; a forced tool works on every Claude model, as the Vercel AI SDK does it.
 */
export const JSON_ANSWER_TOOL_NAME = 'json';

export function refusedRequest(message: string): ProviderCallError {
  return new ProviderCallError({ provider: 'CLAUDE', code: 'BAD_REQUEST', message });
}

/** True when the answer is the JSON answer tool's input, not text. */
export function answersWithJsonTool(request: GenerateRequest): boolean {
  const type = request.responseFormat?.type;
  return type === 'json_object' || type === 'json_schema';
}

export function toClaudeTool(tool: ToolDefinition): Tool {
  // The pipeline has checked that parameters is an object schema; the SDK's type wants that said.
  const input_schema: Tool.InputSchema = { ...tool.parameters, type: 'object' };
  return tool.description === undefined ? { name: tool.name, input_schema } : { name: tool.name, description: tool.description, input_schema };
}

export function toClaudeToolChoice(choice: NeutralToolChoice): ToolChoice {
  switch (choice.type) {
    case 'required':
      return { type: 'any' };
    case 'tool':
      return { type: 'tool', name: choice.name };
    default:
      return { type: choice.type };
  }
}

/** The tool and tool choice that make Claude answer with JSON; refuses what a tool input cannot be. */
export function jsonAnswerTool(request: GenerateRequest): { tool: Tool; choice: ToolChoice } {
  const format = request.responseFormat;
  if (request.tools?.length) {
    // The JSON answer is itself a forced tool call: offering the caller's tools too would make it optional.
    throw refusedRequest('Claude cannot combine a JSON response format with tools; ask for one or the other.');
  }
  let input_schema: Tool.InputSchema = { type: 'object' };
  if (format?.type === 'json_schema') {
    if (format.schema.type !== 'object') {
      throw refusedRequest('Claude answers JSON_SCHEMA only with an object schema (type "object").');
    }
    input_schema = { ...format.schema, type: 'object' };
  }
  return {
    tool: { name: JSON_ANSWER_TOOL_NAME, description: 'Respond with the answer as JSON.', input_schema },
    choice: { type: 'tool', name: JSON_ANSWER_TOOL_NAME },
  };
}

const toolInputSchema = z.record(z.string(), z.unknown());

/** A tool call's JSON text as the `input` object Anthropic wants back; refuses text that is not one. */
export function toToolInput(argumentsText: string, toolName: string): Record<string, unknown> {
  // Some models write no arguments at all for a tool without parameters.
  if (argumentsText.trim() === '') return {};
  const input = parseJsonText(toolInputSchema, argumentsText);
  if (input === null) throw refusedRequest(`The arguments of the call to tool "${toolName}" must be a JSON object for Claude.`);
  return input;
}

/** The JSON text of a tool_use input. A proxy's malformed string input is passed on as it came. */
export function toArgumentsText(input: unknown): string {
  return typeof input === 'string' ? input : JSON.stringify(input ?? {});
}
