// Tools, tool choice and response format in the SDK's camelCase shape (it writes the snake_case wire).
import type { ChatCompletionRequest, ResponseFormat as MistralResponseFormat, Tool, ToolChoice as MistralToolChoice, ToolChoiceEnum } from '@mistralai/mistralai/models/components';
import type { GenerateRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../types.ts';

type ToolParams = Pick<ChatCompletionRequest, 'tools' | 'toolChoice' | 'responseFormat'>;

function toFunctionTool(tool: ToolDefinition): Tool & { type: 'function' } {
  const definition: Tool['function'] = { name: tool.name, parameters: tool.parameters };
  if (tool.description !== undefined) definition.description = tool.description;
  return { type: 'function', function: definition };
}

function toToolChoice(choice: ToolChoice): MistralToolChoice | ToolChoiceEnum {
  switch (choice.type) {
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
    // Mistral's own word for "call at least one tool"; `required` is a later alias for OpenAI's.
    case 'required':
      return 'any';
    default:
      return choice.type;
  }
}

function toResponseFormat(format: ResponseFormat): MistralResponseFormat | undefined {
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema':
      // Mistral's strict mode constrains decoding to the schema without OpenAI's rules on how the
      // schema is written, so asking for a schema gets it enforced (as Mistral's own SDKs do).
      return { type: 'json_schema', jsonSchema: { name: format.name, schemaDefinition: format.schema, strict: true } };
  }
}

export function toToolParams(request: GenerateRequest): ToolParams {
  const params: ToolParams = {};
  // A tool choice means nothing without tools, so it only travels with them.
  if (request.tools?.length) {
    params.tools = request.tools.map(toFunctionTool);
    if (request.toolChoice) params.toolChoice = toToolChoice(request.toolChoice);
  }
  const format = request.responseFormat && toResponseFormat(request.responseFormat);
  if (format) params.responseFormat = format;
  return params;
}
