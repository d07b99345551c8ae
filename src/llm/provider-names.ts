import type { ProviderKind } from './types.ts';

// People read these in error messages and in the providers list, so they name the company too.
const PROVIDER_NAMES: Readonly<Record<ProviderKind, string>> = {
  LOCAL: 'Local rules',
  OPENAI: 'OpenAI',
  CLAUDE: 'Anthropic Claude',
  GEMINI: 'Google Gemini',
  COPILOT: 'GitHub Copilot',
  GROK: 'xAI Grok',
  OLLAMA: 'Ollama',
  MISTRAL: 'Mistral AI',
};

export function providerName(kind: ProviderKind): string {
  return PROVIDER_NAMES[kind];
}
