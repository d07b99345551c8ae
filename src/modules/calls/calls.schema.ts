import { abortableSource } from '../../graphql/abortable.ts';
import { builder } from '../../graphql/builder.ts';
import { ProviderKindEnum } from '../providers/providers.schema.ts';
import type { CallResult, CallStreamEvent } from './call-result.ts';

const LlmResultRef = builder.objectRef<CallResult>('LlmResult').implement({
  fields: (t) => ({
    text: t.exposeString('text'),
    provider: t.field({ type: ProviderKindEnum, resolve: (result) => result.provider }),
    model: t.exposeString('model'),
    inputTokens: t.int({ nullable: true, description: 'Null when the provider did not report it.', resolve: (r) => r.inputTokens }),
    outputTokens: t.int({ nullable: true, description: 'Null when the provider did not report it.', resolve: (r) => r.outputTokens }),
    tokensUsed: t.int({ nullable: true, resolve: (result) => result.tokensUsed }),
    cost: t.field({
      type: 'Decimal',
      description:
        'USD at the catalogue price in force. When it cannot be known (tokens not reported, model without a price) ' +
        'this is "0" and costKnown is false; the usage record keeps NULL.',
      resolve: (result) => result.cost ?? '0',
    }),
    costKnown: t.boolean({ resolve: (result) => result.cost !== null }),
    latencyMs: t.exposeInt('latencyMs'),
  }),
});

const LlmStreamEventRef = builder.objectRef<CallStreamEvent>('LlmStreamEvent').implement({
  description: 'A piece of streamed text, or (done: true) the final result.',
  fields: (t) => ({
    delta: t.string({ nullable: true, resolve: (event) => (event.done ? null : event.delta) }),
    done: t.exposeBoolean('done'),
    result: t.field({ type: LlmResultRef, nullable: true, resolve: (event) => (event.done ? event.result : null) }),
  }),
});

const CallLlmInput = builder.inputType('CallLlmInput', {
  fields: (t) => ({
    prompt: t.string({ required: true }),
    system: t.string(),
    provider: t.field({ type: ProviderKindEnum, description: 'Else the project LLM, else the active configuration.' }),
    model: t.string(),
    maxTokens: t.int(),
    temperature: t.float(),
    projectId: t.id(),
  }),
});

builder.mutationField('callLlm', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: LlmResultRef,
    description: 'Calls a model (this spends money) and records its usage.',
    args: { input: t.arg({ type: CallLlmInput, required: true }) },
    resolve: (_root, { input }, { services, viewer, request }) =>
      services.calls.call(
        viewer,
        input,
        request?.signal ?? new AbortController().signal,
      ),
  }),
);

builder.subscriptionField('llmStream', (t) =>
  t.withAuth({ signedIn: true }).field({
    type: LlmStreamEventRef,
    description: 'Streams a model answer: one event per text delta, then one with done: true and the result.',
    args: { input: t.arg({ type: CallLlmInput, required: true }) },
    subscribe: (_root, { input }, { services, viewer, request }) =>
      abortableSource(
        (signal) =>
          services.calls.callStream(
            viewer,
            input,
            signal,
          ),
        request?.signal,
      ),
    resolve: (event) => event,
  }),
);
