// Tools, tool choice and response format in chat completions' wire shape.
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionFunctionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type { GenerateRequest, ResponseFormat, ToolChoice, ToolDefinition } from '../types.ts';

type ToolParams = Pick<ChatCompletionCreateParamsNonStreaming, 'tools' | 'tool_choice' | 'response_format'>;

function toFunctionTool(tool: ToolDefinition): ChatCompletionFunctionTool {
  const definition: ChatCompletionFunctionTool['function'] = { name: tool.name, parameters: tool.parameters };
  if (tool.description !== undefined) definition.description = tool.description;
  return { type: 'function', function: definition };
}

function toToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return choice.type === 'tool' ? { type: 'function', function: { name: choice.name } } : choice.type;
}

function toResponseFormat(format: ResponseFormat): ToolParams['response_format'] {
  switch (format.type) {
    // Text is the API's default: leaving the field out keeps plain requests as they always were.
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema':
      // No `strict`: strict mode refuses any schema not written for it (optional properties, no
      // additionalProperties: false), and callers send arbitrary schemas; the pipeline checks the JSON.
      return { type: 'json_schema', json_schema: { name: format.name, schema: format.schema } };
  }
}

export function toToolParams(request: GenerateRequest): ToolParams {
  const params: ToolParams = {};
  // tool_choice without tools is an error upstream, so the choice only travels with tools.
  if (request.tools?.length) {
    params.tools = request.tools.map(toFunctionTool);
    if (request.toolChoice) params.tool_choice = toToolChoice(request.toolChoice);
  }
  const format = request.responseFormat && toResponseFormat(request.responseFormat);
  if (format) params.response_format = format;
  return params;
}
