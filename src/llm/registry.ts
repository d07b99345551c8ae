import { claudeDriver } from './claude/claude.driver.ts';
import { copilotDriver } from './copilot/copilot.driver.ts';
import { geminiDriver } from './gemini/gemini.driver.ts';
import { grokDriver } from './grok/grok.driver.ts';
import { localDriver } from './local/local.driver.ts';
import { mistralDriver } from './mistral/mistral.driver.ts';
import { ollamaDriver } from './ollama/ollama.driver.ts';
import { openAiDriver } from './openai/openai.driver.ts';
import type { LlmDriver, ProviderKind } from './types.ts';

// In the order of the ProviderKind enum in the contract, which is the order clients list them.
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
  return Object.values(DRIVERS);
}
