import { describe, expect, it } from 'vitest';
import { defaultModel } from '../../../src/llm/catalogue.ts';
import { getDriver, listDrivers } from '../../../src/llm/registry.ts';
import type { ProviderKind } from '../../../src/llm/types.ts';

const ALL_KINDS: ProviderKind[] = ['LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'];

describe('driver registry', () => {
  it('has one driver per provider kind, in the contract order', () => {
    expect(listDrivers().map((driver) => driver.kind)).toEqual(ALL_KINDS);
    for (const kind of ALL_KINDS) expect(getDriver(kind).kind).toBe(kind);
  });

  it('takes each default model from the catalogue', () => {
    for (const kind of ALL_KINDS) expect(getDriver(kind).defaultModel).toBe(defaultModel(kind));
  });

  it('asks for a key everywhere but the local rules and Ollama', () => {
    expect(listDrivers().filter((driver) => !driver.requiresApiKey).map((driver) => driver.kind)).toEqual(['LOCAL', 'OLLAMA']);
  });
});
