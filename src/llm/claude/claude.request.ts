import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { systemText } from '../driver-support.ts';
import type { GenerateRequest } from '../types.ts';
import { toClaudeMessages } from './claude.messages.ts';
import { answersWithJsonTool, jsonAnswerTool, toClaudeTool, toClaudeToolChoice } from './claude.tools.ts';

/** Anthropic requires max_tokens on every request; this is the answer length when none is asked. */
export const DEFAULT_MAX_TOKENS = 4096;

/**
 * The installed SDK's types no longer list `temperature` (newer Claude models deprecate it), but
 * the models in our catalogue accept it, so it is sent when, and only when, the caller asks.
 */
export type ClaudeMessageParams = MessageCreateParamsNonStreaming & { temperature?: number };

/** Throws a BAD_REQUEST ProviderCallError, before any request, for what Claude cannot be asked. */
export function toMessageParams(request: GenerateRequest): ClaudeMessageParams {
  const params: ClaudeMessageParams = {
    model: request.model,
    max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
    // The system prompt is a top-level field in the Messages API, not a message.
    messages: toClaudeMessages(request.messages),
  };
  const system = systemText(request);
  if (system) params.system = system;
  if (request.temperature !== undefined) params.temperature = request.temperature;
  if (answersWithJsonTool(request)) {
    const { tool, choice } = jsonAnswerTool(request);
    params.tools = [tool];
    params.tool_choice = choice;
  } else if (request.tools?.length) {
    params.tools = request.tools.map(toClaudeTool);
    if (request.toolChoice) params.tool_choice = toClaudeToolChoice(request.toolChoice);
  }
  return params;
}
