import { defaultModel } from '../catalogue.ts';
import { requireApiKey } from '../driver-support.ts';
import { createOpenAiCompatibleDriver } from '../openai-compatible/openai-compatible.driver.ts';
import type { LlmDriver } from '../types.ts';

const DEFAULT_BASE_URL = 'https://api.x.ai/v1';

export const grokDriver: LlmDriver = createOpenAiCompatibleDriver({
  kind: 'GROK',
  defaultModel: defaultModel('GROK'),
  // xAI documents max_tokens for chat completions; it accepts a temperature on every model.
  quirks: { maxTokensField: 'max_tokens', acceptsTemperature: () => true },
  authenticate: async (settings) => ({
    bearerToken: requireApiKey('GROK', settings),
    baseUrl: settings.baseUrl ?? DEFAULT_BASE_URL,
    secrets: [],
  }),
});
