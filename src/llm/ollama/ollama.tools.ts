// Tools and response format in Ollama's shape. Ollama has no tool choice (see the driver).
import type { ChatRequest, Tool } from 'ollama';
import type { GenerateRequest, ResponseFormat, ToolDefinition } from '../types.ts';

type ToolParams = Pick<ChatRequest, 'tools' | 'format'>;

function toTool(tool: ToolDefinition): Tool {
  const definition: Tool['function'] = { name: tool.name, parameters: tool.parameters };
  if (tool.description !== undefined) definition.description = tool.description;
  return { type: 'function', function: definition };
}

function toFormat(format: ResponseFormat): ChatRequest['format'] {
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return 'json';
    // Ollama takes the schema itself in `format` and constrains the output to it.
    case 'json_schema':
      return format.schema;
  }
}

export function toToolParams(request: GenerateRequest): ToolParams {
  const params: ToolParams = {};
  // With no tool choice to send, "none" is kept by not offering the tools at all.
  if (request.tools?.length && request.toolChoice?.type !== 'none') params.tools = request.tools.map(toTool);
  const format = request.responseFormat && toFormat(request.responseFormat);
  if (format) params.format = format;
  return params;
}
