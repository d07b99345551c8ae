// The rule-based provider: free, deterministic, always available, and never on the network.
// It exists as a driver so routing and the providers list treat LOCAL like any other provider,
// but it answers no free-form prompt. Its knowledge is `analyzeIncidentLocally` in
// src/modules/incidents/incident-rules.ts, an entry point that takes incident text and alert data (not a prompt) and
// that the incident analysis calls directly; this driver stays a refusal.
import { defaultModel } from '../catalogue.ts';
import { TEXT_ONLY } from '../driver-support.ts';
import { ProviderCallError } from '../errors.ts';
import type { LlmDriver } from '../types.ts';

function freeFormPromptRefused(): ProviderCallError {
  return new ProviderCallError({
    provider: 'LOCAL',
    code: 'BAD_REQUEST',
    message: 'The local provider is rule-based and answers no free-form prompt; choose another provider.',
  });
}

export const localDriver: LlmDriver = {
  kind: 'LOCAL',
  defaultModel: defaultModel('LOCAL'),
  requiresApiKey: false,
  capabilities: TEXT_ONLY,

  async generate() {
    throw freeFormPromptRefused();
  },

  // Throws at the call, before any iteration: there is no stream to start, and the caller
  // learns it before it has told its own client that a stream began.
  stream() {
    throw freeFormPromptRefused();
  },
};
