// The Chat Completions request body, as far as Agora carries it. Objects are strict: a field that is not
// here, in REFUSED_FIELDS or in IGNORED_FIELDS is an unknown parameter (400), never dropped silently.
// `nullish` throughout: OpenAI reads null as "not given". What is valid JSON but unsupported (an image
// part, a custom tool, strict schemas) passes here and is refused by the mapper with a precise message.
import { z } from 'zod';
import { IGNORED_FIELDS, REFUSED_FIELDS } from './unsupported-fields.ts';

const contentPart = z.looseObject({ type: z.string() });
const content = z.union([z.string(), z.array(contentPart)], { error: 'expected a string or an array of content parts' });

const toolCall = z.strictObject({
  id: z.string().min(1),
  type: z.string(),
  function: z.strictObject({ name: z.string(), arguments: z.string() }).optional(),
  custom: z.unknown().optional(),
});

const name = z.string().nullish();

const message = z.discriminatedUnion(
  'role',
  [
    z.strictObject({ role: z.enum(['system', 'developer']), content, name }),
    z.strictObject({ role: z.literal('user'), content, name }),
    z.strictObject({
      role: z.literal('assistant'),
      content: content.nullish(),
      name,
      tool_calls: z.array(toolCall).nullish(),
      refusal: z.string().nullish(),
      // What a previous response's message carries, so clients can send it back as it came.
      annotations: z.array(z.unknown()).nullish(),
      audio: z.unknown().optional(),
      function_call: z.unknown().optional(),
    }),
    z.strictObject({ role: z.literal('tool'), content, tool_call_id: z.string().min(1) }),
  ],
  { error: 'role must be system, developer, user, assistant or tool' },
);

const tool = z.strictObject({
  type: z.string(),
  function: z
    .strictObject({
      name: z.string(),
      description: z.string().nullish(),
      parameters: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    })
    .optional(),
  custom: z.unknown().optional(),
});

const toolChoice = z.union([z.enum(['auto', 'none', 'required']), z.looseObject({ type: z.string(), function: z.strictObject({ name: z.string() }).optional() })], {
  error: "expected 'auto', 'none', 'required' or {type: 'function', function: {name}}",
});

const responseFormat = z.strictObject({
  type: z.enum(['text', 'json_object', 'json_schema']),
  json_schema: z
    .strictObject({
      name: z.string(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      description: z.string().nullish(),
      strict: z.boolean().nullish(),
    })
    .nullish(),
});

const positiveInt = z.int().min(1).max(1_000_000).nullish();

const passThrough = Object.fromEntries([...Object.keys(REFUSED_FIELDS), ...IGNORED_FIELDS].map((field) => [field, z.unknown().optional()]));

export const chatRequestSchema = z.strictObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  response_format: responseFormat.nullish(),
  max_tokens: positiveInt,
  max_completion_tokens: positiveInt,
  temperature: z.number().min(0).max(2).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().nullish(), include_obfuscation: z.boolean().nullish() }).nullish(),
  ...passThrough,
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatRequestMessage = ChatRequest['messages'][number];
export type ChatRequestContent = z.infer<typeof content>;
export type ChatRequestTool = z.infer<typeof tool>;
