import { defaultModel } from '../catalogue.ts';
import { requireApiKey } from '../driver-support.ts';
import { CHAT_COMPLETIONS_CAPABILITIES, createOpenAiCompatibleDriver } from '../openai-compatible/openai-compatible.driver.ts';
import type { LlmDriver } from '../types.ts';

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

// o-series and GPT-5 models reason before answering and reject a custom temperature.
const REASONING_MODEL = /^(o\d|gpt-5)/;

export const openAiDriver: LlmDriver = createOpenAiCompatibleDriver({
  kind: 'OPENAI',
  defaultModel: defaultModel('OPENAI'),
  quirks: {
    maxTokensField: 'max_completion_tokens',
    acceptsTemperature: (model) => !REASONING_MODEL.test(model),
  },
  // OpenAI defines the format: tools, required and named tool choice, JSON mode and structured outputs.
  capabilities: CHAT_COMPLETIONS_CAPABILITIES,
  authenticate: async (settings) => ({
    bearerToken: requireApiKey('OPENAI', settings),
    baseUrl: settings.baseUrl ?? DEFAULT_BASE_URL,
    secrets: [],
  }),
});
