import { claudeDriver } from './claude/claude.driver.ts';
import { copilotDriver } from './copilot/copilot.driver.ts';
import { geminiDriver } from './gemini/gemini.driver.ts';
import { grokDriver } from './grok/grok.driver.ts';
import { localDriver } from './local/local.driver.ts';
import { mistralDriver } from './mistral/mistral.driver.ts';
import { ollamaDriver } from './ollama/ollama.driver.ts';
import { openAiDriver } from './openai/openai.driver.ts';
import { PROVIDER_KINDS, type ProviderKind } from './provider-kinds.ts';
import type { LlmDriver } from './types.ts';

// One driver per kind (provider-kinds.ts); the list order comes from there.
const DRIVERS: Readonly<Record<ProviderKind, LlmDriver>> = {
  LOCAL: localDriver,
  OPENAI: openAiDriver,
  CLAUDE: claudeDriver,
  GEMINI: geminiDriver,
  COPILOT: copilotDriver,
  GROK: grokDriver,
  OLLAMA: ollamaDriver,
  MISTRAL: mistralDriver,
};

export function getDriver(kind: ProviderKind): LlmDriver {
  return DRIVERS[kind];
}

export function listDrivers(): readonly LlmDriver[] {
  return PROVIDER_KINDS.map((kind) => DRIVERS[kind]);
}
