import { defaultModel } from '../catalogue.ts';
import { requireApiKey } from '../driver-support.ts';
import { CHAT_COMPLETIONS_CAPABILITIES, createOpenAiCompatibleDriver } from '../openai-compatible/openai-compatible.driver.ts';
import type { LlmDriver } from '../types.ts';

const DEFAULT_BASE_URL = 'https://api.x.ai/v1';

export const grokDriver: LlmDriver = createOpenAiCompatibleDriver({
  kind: 'GROK',
  defaultModel: defaultModel('GROK'),
  // xAI documents max_tokens for chat completions; it accepts a temperature on every model.
  quirks: { maxTokensField: 'max_tokens', acceptsTemperature: () => true },
  // xAI reports reasoning tokens apart from completion_tokens, and bills them as output.
  usageQuirks: { reasoningOutsideCompletion: true },
  // xAI documents function calling with auto/none/required/named tool_choice, and structured
  // outputs through response_format (json_object and json_schema), in OpenAI's shape.
  capabilities: CHAT_COMPLETIONS_CAPABILITIES,
  authenticate: async (settings) => ({
    bearerToken: requireApiKey('GROK', settings),
    baseUrl: settings.baseUrl ?? DEFAULT_BASE_URL,
    secrets: [],
  }),
});
