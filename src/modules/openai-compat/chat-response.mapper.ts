// A call's result as OpenAI's `chat.completion`: one choice, tool calls with their arguments as JSON text,
// OpenAI's finish reasons, and usage with null (never 0) for what the provider did not report.
import { randomUUID } from 'node:crypto';
import type { FinishReason } from '../../llm/types.ts';
import type { CallResult, CallToolCall } from '../calls/call-result.ts';
import { publicModelName } from './openai-models.ts';

export type OpenAiFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAiUsage {
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: null;
  choices: [
    {
      index: 0;
      message: { role: 'assistant'; content: string | null; refusal: null; tool_calls?: OpenAiToolCall[] };
      logprobs: null;
      finish_reason: OpenAiFinishReason;
    },
  ];
  usage: OpenAiUsage;
}

/** What identifies one completion, the same in every chunk of a stream. */
export interface CompletionIdentity {
  id: string;
  created: number;
}

export function newCompletionIdentity(): CompletionIdentity {
  // randomUUID draws from a buffer of entropy it refills now and then; randomBytes asks the system each time.
  return { id: `chatcmpl-${randomUUID().replaceAll('-', '')}`, created: Math.floor(Date.now() / 1000) };
}

// OpenAI has no reason for "other"/"unknown"/"error" endings that still produced an answer: they read as a stop.
const FINISH_REASONS: Record<FinishReason, OpenAiFinishReason> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
  error: 'stop',
  other: 'stop',
  unknown: 'stop',
};

export function finishReasonOf(result: CallResult): OpenAiFinishReason {
  return FINISH_REASONS[result.finishReason];
}

/** Arguments travel as JSON text; text that did not parse goes back exactly as the model wrote it. */
export function toolCallOf(call: CallToolCall): OpenAiToolCall {
  const args = call.argumentsError !== null && typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {});
  return { id: call.id, type: 'function', function: { name: call.name, arguments: args } };
}

export function usageOf(result: CallResult): OpenAiUsage {
  return { prompt_tokens: result.inputTokens, completion_tokens: result.outputTokens, total_tokens: result.tokensUsed };
}

export function servedModelName(result: CallResult): string {
  return publicModelName(result.provider, result.model);
}

export function completionOf(identity: CompletionIdentity, result: CallResult): ChatCompletion {
  const toolCalls = result.toolCalls.map(toolCallOf);
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: servedModelName(result),
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // As OpenAI answers a turn that only calls tools: no text is null, not "".
          content: toolCalls.length && !result.text ? null : result.text,
          refusal: null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReasonOf(result),
      },
    ],
    usage: usageOf(result),
  };
}
