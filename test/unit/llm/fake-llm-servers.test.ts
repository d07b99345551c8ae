import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDriver } from '../../../src/llm/registry.ts';
import { type FakeLlmServers, startFakeLlmServers } from '../../support/fake-llm/fake-llm-servers.ts';
import { collect, textOf } from './driver-contract.ts';

// The harness the app's integration tests will use: every remote driver reaches its fake.
describe('startFakeLlmServers', () => {
  let fakes: FakeLlmServers;
  beforeAll(async () => {
    fakes = await startFakeLlmServers();
  });
  afterAll(async () => {
    await fakes.close();
  });

  it.each(['OPENAI', 'GROK', 'COPILOT', 'CLAUDE', 'GEMINI', 'MISTRAL', 'OLLAMA'] as const)('serves %s through its real driver', async (kind) => {
    fakes.reset();
    fakes.serverFor(kind).script({ text: `hello from ${kind}` });
    const driver = getDriver(kind);
    const settings = { apiKey: 'test-key-0123456789', ...fakes.settingsFor(kind) };
    const request = { model: driver.defaultModel, messages: [{ role: 'user' as const, content: 'hi' }] };
    expect((await driver.generate(request, settings, new AbortController().signal)).text).toBe(`hello from ${kind}`);
    expect(textOf(await collect(driver.stream(request, settings, new AbortController().signal)))).toBe(`hello from ${kind}`);
  });
});
