import { defaultModel } from '../catalogue.ts';
import { requireApiKey } from '../driver-support.ts';
import { CHAT_COMPLETIONS_CAPABILITIES, createOpenAiCompatibleDriver } from '../openai-compatible/openai-compatible.driver.ts';
import type { LlmDriver } from '../types.ts';
import { type CopilotTokenSource, createCopilotTokenSource, DEFAULT_TOKEN_URL } from './copilot.token.ts';
import { COPILOT_CLIENT_HEADERS } from './copilot.headers.ts';

// Copilot's chat API has no version segment: requests go to {root}/chat/completions.
const DEFAULT_BASE_URL = 'https://api.githubcopilot.com';

/** `settings.apiKey` is the stored GitHub token; each driver instance keeps its own token cache. */
export function createCopilotDriver(tokens: CopilotTokenSource = createCopilotTokenSource()): LlmDriver {
  return createOpenAiCompatibleDriver({
    kind: 'COPILOT',
    defaultModel: defaultModel('COPILOT'),
    quirks: { maxTokensField: 'max_tokens', acceptsTemperature: () => true },
    // Copilot's chat API takes OpenAI's fields for every model it serves (editors' agent modes rely
    // on its tools). What a given model behind it refuses comes back as a 400 (BAD_REQUEST), so no
    // capability is withheld for all models because of some. Its answers split text and tool calls
    // across choices for Claude models; the shared driver reads every choice for that reason.
    capabilities: CHAT_COMPLETIONS_CAPABILITIES,
    async authenticate(settings, signal) {
      const githubToken = requireApiKey('COPILOT', settings);
      const copilot = await tokens.get(githubToken, settings.tokenUrl ?? DEFAULT_TOKEN_URL, signal, settings.timeoutMs);
      return {
        bearerToken: copilot.token,
        // An explicit base URL wins; otherwise the API GitHub assigned to this account.
        baseUrl: settings.baseUrl ?? copilot.apiBaseUrl ?? DEFAULT_BASE_URL,
        headers: COPILOT_CLIENT_HEADERS,
        secrets: [copilot.token],
      };
    },
    onCredentialsRejected(settings) {
      // A revoked or expired Copilot token: exchange again on the next call.
      if (settings.apiKey) tokens.forget(settings.apiKey, settings.tokenUrl ?? DEFAULT_TOKEN_URL);
    },
  });
}

export const copilotDriver: LlmDriver = createCopilotDriver();
