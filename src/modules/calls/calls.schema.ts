import { abortableSource } from '../../events/abortable.ts';
import { builder } from '../../graphql/builder.ts';
import { ProviderKindEnum } from '../providers/providers.schema.ts';
import { LlmResultRef, LlmStreamEventRef } from './call-result.schema.ts';

const ChatRoleEnum = builder.enumType('ChatRole', { values: ['SYSTEM', 'USER', 'ASSISTANT', 'TOOL'] as const });
const ResponseFormatTypeEnum = builder.enumType('ResponseFormatType', { values: ['TEXT', 'JSON_OBJECT', 'JSON_SCHEMA'] as const });

const ToolCallInput = builder.inputType('ToolCallInput', {
  description: 'A tool call an ASSISTANT message made (as a previous LlmResult.toolCalls gave it).',
  fields: (t) => ({
    id: t.string({ required: true }),
    name: t.string({ required: true }),
    arguments: t.field({ type: 'JSON', description: 'The arguments as JSON (or the JSON text as a string).' }),
  }),
});

const ChatMessageInput = builder.inputType('ChatMessageInput', {
  fields: (t) => ({
    role: t.field({ type: ChatRoleEnum, required: true }),
    content: t.string(),
    toolCallId: t.string({ description: 'For a TOOL message: the id of the tool call it answers.' }),
    toolCalls: t.field({ type: [ToolCallInput], description: 'For an ASSISTANT message: the tool calls it made.' }),
  }),
});

const ToolInput = builder.inputType('ToolInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Letters, digits, _ and -, at most 64.' }),
    description: t.string(),
    parameters: t.field({ type: 'JSON', description: 'A JSON Schema with type "object".' }),
  }),
});

const ResponseFormatInput = builder.inputType('ResponseFormatInput', {
  fields: (t) => ({
    type: t.field({ type: ResponseFormatTypeEnum, required: true }),
    name: t.string(),
    schema: t.field({ type: 'JSON', description: 'For JSON_SCHEMA: a JSON Schema with type "object".' }),
  }),
});

const CallLlmInput = builder.inputType('CallLlmInput', {
  description: 'Exactly one of prompt and messages.',
  fields: (t) => ({
    prompt: t.string(),
    system: t.string(),
    messages: t.field({ type: [ChatMessageInput], description: 'A conversation; the last message is USER or TOOL.' }),
    tools: t.field({ type: [ToolInput] }),
    toolChoice: t.string({ description: 'auto, none, required, or the name of one of the tools.' }),
    responseFormat: t.field({ type: ResponseFormatInput }),
    provider: t.field({ type: ProviderKindEnum, description: 'Else the project LLM, else the active configuration.' }),
    model: t.string({ description: 'Any model id of the provider; one the catalogue does not list is served with an unknown cost.' }),
    maxTokens: t.int(),
    temperature: t.float(),
    projectId: t.id(),
    tags: t.stringList({ description: 'Labels for usage summaries (usage { byTag }): at most 10, each 1 to 64 letters, digits and . : / @ _ -. Not sent to the provider.' }),
    cache: t.boolean({
      description:
        'Serve an identical earlier answer (same you, or same project with projectId; provider, model, messages, tools and parameters) from the response cache at cost 0, ' +
        'and store this one. Default: the configuration\u2019s config.cacheTtlSeconds decides; false: never.',
    }),
    idempotencyKey: t.string({
      description: 'Repeating a call with the same key within 24 hours returns the first result again: no second upstream call, no second usage row. The same key with another input: CONFLICT.',
    }),
  }),
});

builder.mutationField('callLlm', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: LlmResultRef,
    description: 'Calls a model (this spends money) and records its usage.',
    args: { input: t.arg({ type: CallLlmInput, required: true }) },
    resolve: (_root, { input }, { services, viewer, request }) => services.calls.call(viewer, input, request?.signal ?? new AbortController().signal),
  }),
);

builder.subscriptionField('llmStream', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: LlmStreamEventRef,
    description: 'Streams a model answer: one event per text delta, then one with done: true and the result.',
    args: { input: t.arg({ type: CallLlmInput, required: true }) },
    subscribe: (_root, { input }, { services, viewer, request }) =>
      abortableSource((signal) => services.calls.callStream(viewer, input, signal), request?.signal),
    resolve: (event) => event,
  }),
);
