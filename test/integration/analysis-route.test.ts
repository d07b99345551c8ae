import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeysService } from '../../src/modules/keys/keys.service.ts';
import { ProviderRouting } from '../../src/modules/providers/provider-routing.ts';
import { AI_ANSWER, analyze, createIncident, finished, waitForRun } from '../support/analysis.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';

// An analysis is routed once: the route it prepares serves its model call, so its configuration and key
// lookups happen once, not again inside the call.
let t: TestApp;
let fakes: FakeLlmServers;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp();
});
afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all([t.close(), fakes.close()]);
});

describe('an incident analysis', () => {
  it('resolves its route once: one configuration lookup, one user-key lookup, one configuration key opened', async () => {
    await t.configureProvider({ name: 'openai', provider: 'OPENAI', config: { baseUrl: fakes.baseUrls.OPENAI }, apiKey: 'sk-config-key', isActive: true });
    fakes.openai.script({ text: AI_ANSWER });
    const incidentId = await createIncident(t, { title: 'api pods OOMKilled', description: 'Memory climbs until the pods are killed.', severity: 'HIGH' });

    const active = vi.spyOn(ProviderRouting.prototype, 'active');
    const forKind = vi.spyOn(ProviderRouting.prototype, 'forKind');
    const keyOf = vi.spyOn(ProviderRouting.prototype, 'keyOf');
    const userKey = vi.spyOn(KeysService.prototype, 'secretFor');
    const run = await analyze(t, incidentId);
    const done = await waitForRun(t, run.id, finished);
    expect(done).toMatchObject({ status: 'SUCCEEDED', provider: 'OPENAI' });
    expect(fakes.openai.requests).toHaveLength(1);
    expect(active.mock.calls.length + forKind.mock.calls.length).toBe(1);
    expect(userKey).toHaveBeenCalledTimes(1);
    expect(keyOf).toHaveBeenCalledTimes(1);
  });
});
