import type { ProviderKind } from '../../llm/types.ts';

export const PROVIDER_KINDS = ['LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'] as const satisfies readonly ProviderKind[];
