import { builder } from '../../graphql/builder.ts';
import type { FinishReason } from '../../llm/types.ts';
import { ProviderKindEnum } from '../providers/providers.schema.ts';
import type { CallAttempt, CallResult, CallStreamEvent, CallToolCall } from './call-result.ts';

const FINISH_REASONS = ['STOP', 'LENGTH', 'TOOL_CALLS', 'CONTENT_FILTER', 'ERROR', 'OTHER'] as const;
type FinishReasonValue = (typeof FINISH_REASONS)[number];

const FinishReasonEnum = builder.enumType('FinishReason', { values: FINISH_REASONS });

const FINISH_REASON_OF: Record<FinishReason, FinishReasonValue> = {
  stop: 'STOP',
  length: 'LENGTH',
  'tool-calls': 'TOOL_CALLS',
  'content-filter': 'CONTENT_FILTER',
  error: 'ERROR',
  other: 'OTHER',
  unknown: 'OTHER',
};

const ToolCallRef = builder.objectRef<CallToolCall>('ToolCall').implement({
  description: 'A tool the model asked to call. Answer it with a TOOL message carrying its id.',
  fields: (t) => ({
    id: t.exposeString('id'),
    name: t.exposeString('name'),
    arguments: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The arguments, parsed; the raw text the model wrote when it is not valid JSON (see argumentsError).',
      resolve: (call) => call.arguments,
    }),
    argumentsError: t.string({ nullable: true, description: 'Set when the model wrote arguments that are not valid JSON.', resolve: (call) => call.argumentsError }),
  }),
});

const CallAttemptRef = builder.objectRef<CallAttempt>('CallAttempt').implement({
  description: 'One provider configuration tried for the call, in order.',
  fields: (t) => ({
    provider: t.field({ type: ProviderKindEnum, resolve: (attempt) => attempt.provider }),
    model: t.exposeString('model'),
    configurationId: t.id({ nullable: true, resolve: (attempt) => attempt.configurationId }),
    ok: t.exposeBoolean('ok'),
    errorCode: t.string({ nullable: true, resolve: (attempt) => attempt.errorCode }),
    latencyMs: t.exposeInt('latencyMs'),
  }),
});

export const LlmResultRef = builder.objectRef<CallResult>('LlmResult').implement({
  fields: (t) => ({
    text: t.exposeString('text'),
    provider: t.field({ type: ProviderKindEnum, resolve: (result) => result.provider }),
    model: t.exposeString('model'),
    inputTokens: t.int({ nullable: true, description: 'Null when the provider did not report it.', resolve: (r) => r.inputTokens }),
    outputTokens: t.int({ nullable: true, description: 'Null when the provider did not report it.', resolve: (r) => r.outputTokens }),
    tokensUsed: t.int({ nullable: true, resolve: (result) => result.tokensUsed }),
    cost: t.field({
      type: 'Decimal',
      nullable: true,
      description:
        'USD at the catalogue price in force. Null when it cannot be known (tokens not reported, a model the catalogue ' +
        'does not price), with costKnown false: an unknown cost is never reported as 0.',
      resolve: (result) => result.cost,
    }),
    costKnown: t.boolean({ resolve: (result) => result.cost !== null }),
    latencyMs: t.exposeInt('latencyMs'),
    finishReason: t.field({ type: FinishReasonEnum, resolve: (result) => FINISH_REASON_OF[result.finishReason] }),
    toolCalls: t.field({ type: [ToolCallRef], resolve: (result) => result.toolCalls }),
    json: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The answer parsed, when a JSON response format was asked and the answer is valid JSON.',
      resolve: (result) => result.json,
    }),
    jsonError: t.string({
      nullable: true,
      description: 'Why json is null (or not an object) although a JSON response format was asked.',
      resolve: (result) => result.jsonError,
    }),
    cached: t.exposeBoolean('cached'),
    attempts: t.field({ type: [CallAttemptRef], resolve: (result) => result.attempts }),
  }),
});

export const LlmStreamEventRef = builder.objectRef<CallStreamEvent>('LlmStreamEvent').implement({
  description: 'A piece of streamed text, or (done: true) the final result, tool calls included.',
  fields: (t) => ({
    delta: t.string({ nullable: true, resolve: (event) => (event.done ? null : event.delta) }),
    done: t.exposeBoolean('done'),
    result: t.field({ type: LlmResultRef, nullable: true, resolve: (event) => (event.done ? event.result : null) }),
  }),
});
