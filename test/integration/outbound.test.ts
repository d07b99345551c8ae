import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config/config.ts';
import { createGitHubClient } from '../../src/integrations/github/github.client.ts';
import { GitHubError } from '../../src/integrations/github/github.errors.ts';
import { ProviderCallError } from '../../src/llm/errors.ts';
import { openAiDriver } from '../../src/llm/openai/openai.driver.ts';
import { getDriver } from '../../src/llm/registry.ts';
import type { GenerateRequest, StreamPart } from '../../src/llm/types.ts';
import { createGuardedFetch, type GuardedFetch, type HostResolver, OutboundRedirectError, OutboundRefusedError } from '../../src/net/guarded-fetch.ts';
import { DEVELOPMENT_POLICY, type OutboundPolicy, setOutboundPolicy } from '../../src/net/outbound-policy.ts';
import { createTestApp, TEST_MASTER_KEY, type TestApp } from '../support/app.ts';
import { startFakeGitHubServer } from '../support/fake-github/fake-github-server.ts';
import { WEB_APP } from '../support/fake-github/fixtures.ts';
import { startFakeLlmServers, type FakeLlmServers } from '../support/fake-llm/fake-llm-servers.ts';
import type { FakeServer } from '../support/fake-llm/fake-http-server.ts';
import { startFakeOpenAiServer } from '../support/fake-llm/openai-compatible.fake.ts';

const API_KEY = 'sk-outbound-test-SECRET-0123456789';
const REQUEST: GenerateRequest = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] };
const signal = () => new AbortController().signal;

/** A plain HTTP server on 127.0.0.1 that counts the TCP connections it accepts and answers "pong". */
async function startCountingServer(): Promise<{ server: Server; port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('pong');
  });
  server.on('connection', () => {
    connections += 1;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const all: StreamPart[] = [];
  for await (const part of parts) all.push(part);
  return all;
}

let t: TestApp;
let fakes: FakeLlmServers;

beforeAll(async () => {
  fakes = await startFakeLlmServers();
  t = await createTestApp();
});
afterAll(async () => {
  setOutboundPolicy(DEVELOPMENT_POLICY);
  await Promise.all([t.close(), fakes.close()]);
});
beforeEach(() => fakes.reset());

describe('saving a configuration', () => {
  const create = (config: Record<string, unknown>, provider = 'OPENAI') =>
    t.graphql<{ createIntelligenceProvider: { id: string } }>(
      'mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }',
      { variables: { input: { name: `Outbound ${Math.random()}`, provider, config, apiKey: API_KEY } } },
    );

  it('refuses a metadata URL with BAD_USER_INPUT naming the field and the rule', async () => {
    for (const [provider, key, url] of [
      ['OPENAI', 'baseUrl', 'http://169.254.169.254/latest/meta-data/'],
      ['CLAUDE', 'baseUrl', 'http://2852039166/'],
      ['OLLAMA', 'host', 'http://[::ffff:a9fe:a9fe]:11434'],
      ['COPILOT', 'tokenUrl', 'http://0251.0376.0251.0376/token'],
      ['GEMINI', 'baseUrl', 'http://[fd00:ec2::254]/'],
      ['MISTRAL', 'baseUrl', 'http://metadata.google.internal/'],
    ] as const) {
      const response = await create({ [key]: url }, provider);
      expect(response.data?.createIntelligenceProvider ?? null).toBeNull();
      expect(response.errors?.[0]).toMatchObject({
        message: expect.stringMatching(new RegExp(`^config\\.${key} is not allowed: .*cloud metadata address, which is never allowed\\.$`)),
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    expect(await t.db.sql("select id from specs.intelligence_providers where name like 'Outbound %'")).toHaveLength(0);
  });

  it('refuses credentials in a URL without repeating them', async () => {
    const response = await create({ baseUrl: 'https://admin:hunter2-password@api.openai.com/v1' });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(/^config\.baseUrl is not allowed: a URL may not carry credentials/);
    expect(JSON.stringify(response)).not.toMatch(/hunter2|admin/);
    expect(t.logs.join('')).not.toContain('hunter2');
  });

  it('refuses an update that points an existing configuration at a link-local address', async () => {
    const created = await create({ baseUrl: fakes.baseUrls.OPENAI });
    expect(created.errors).toBeUndefined();
    const id = created.data!.createIntelligenceProvider.id;
    const updated = await t.graphql('mutation($id: ID!, $config: JSON) { updateIntelligenceProvider(id: $id, input: { config: $config }) { id } }', {
      variables: { id, config: { baseUrl: 'http://[fe80::1%25eth0]/v1' } },
    });
    expect(updated.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const updatedToLinkLocal = await t.graphql('mutation($id: ID!, $config: JSON) { updateIntelligenceProvider(id: $id, input: { config: $config }) { id } }', {
      variables: { id, config: { baseUrl: 'http://169.254.10.10/v1' } },
    });
    expect(updatedToLinkLocal.errors?.[0]?.message).toBe('config.baseUrl is not allowed: 169.254.10.10 is a link-local address, which is never allowed.');
    const [row] = await t.db.sql<{ config: { baseUrl: string } }>('select config from specs.intelligence_providers where id = $1', [id]);
    expect(row?.config.baseUrl).toBe(fakes.baseUrls.OPENAI);
  });

  it('still saves the loopback fakes outside production', async () => {
    const response = await create({ baseUrl: fakes.baseUrls.OPENAI });
    expect(response.errors).toBeUndefined();
  });
});

describe('connecting: the guarded fetch after DNS', () => {
  let target: Awaited<ReturnType<typeof startCountingServer>>;
  let guarded: GuardedFetch | null = null;
  const asked: string[] = [];
  // Answers for names that exist nowhere else: the connection can only go where this resolver says.
  const resolver = (answers: Record<string, string[]>): HostResolver => async (hostname) => {
    asked.push(hostname);
    const addresses = answers[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  const guardedFetch = (policy: OutboundPolicy, answers: Record<string, string[]>) => {
    guarded = createGuardedFetch(policy, { resolve: resolver(answers) });
    return guarded.fetch;
  };

  beforeAll(async () => {
    target = await startCountingServer();
  });
  afterAll(() => target.close());
  afterEach(async () => {
    await guarded?.close();
    guarded = null;
    asked.length = 0;
  });

  it('connects to the address the resolver gave and it checked (the name exists in no DNS)', async () => {
    const fetch = guardedFetch(DEVELOPMENT_POLICY, { 'provider.test': ['127.0.0.1'] });
    const response = await fetch(`http://provider.test:${target.port}/ping`);
    expect(await response.text()).toBe('pong');
    expect(response).toBeInstanceOf(Response);
    expect(asked).toEqual(['provider.test']);
    expect(target.connections()).toBe(1);
  });

  it('refuses a name that resolves to 169.254.169.254, with no connection made', async () => {
    const before = target.connections();
    // The reachable 127.0.0.1 comes first: one refused address refuses the name, so nothing is tried.
    const fetch = guardedFetch(DEVELOPMENT_POLICY, { 'innocent.test': ['127.0.0.1', '169.254.169.254'], 'rebind.test': ['::ffff:a9fe:a9fe'] });
    const error = await rejectionOf(fetch(`http://innocent.test:${target.port}/latest/meta-data/`, { headers: { authorization: `Bearer ${API_KEY}` } }));
    expect(error).toBeInstanceOf(OutboundRefusedError);
    expect(error).toMatchObject({
      host: 'innocent.test',
      rule: 'cloud-metadata',
      message: 'the address is not allowed: innocent.test resolves to 169.254.169.254, a cloud metadata address, which is never allowed',
    });
    expect((error as Error).message).not.toContain(API_KEY);
    const mapped = await rejectionOf(fetch(`http://rebind.test:${target.port}/`));
    expect(mapped).toMatchObject({ host: 'rebind.test', rule: 'cloud-metadata' });
    expect(asked).toEqual(['innocent.test', 'rebind.test']);
    expect(target.connections()).toBe(before);
  });

  it('refuses an address literal without asking the resolver, and any scheme but http(s)', async () => {
    const fetch = guardedFetch(DEVELOPMENT_POLICY, {});
    expect(await rejectionOf(fetch('http://0xa9fea9fe/latest/meta-data/'))).toMatchObject({ rule: 'cloud-metadata' });
    expect(await rejectionOf(fetch('http://[::]:80/'))).toMatchObject({ rule: 'unspecified' });
    expect(await rejectionOf(fetch('data:text/plain,hello'))).toMatchObject({ rule: 'scheme', message: 'the URL is not allowed: only http and https URLs are allowed' });
    expect(asked).toEqual([]);
  });

  it('refuses loopback in production unless OUTBOUND_ALLOWLIST lists it', async () => {
    const before = target.connections();
    const production = loadConfig({ NODE_ENV: 'production' }).outbound;
    const refusing = guardedFetch(production, { 'local.test': ['127.0.0.1'] });
    expect(await rejectionOf(refusing(`http://127.0.0.1:${target.port}/`))).toMatchObject({ rule: 'loopback' });
    expect(await rejectionOf(refusing(`http://local.test:${target.port}/`))).toMatchObject({
      host: 'local.test',
      rule: 'loopback',
      message: 'the address is not allowed: local.test resolves to 127.0.0.1, a loopback address, which production refuses unless OUTBOUND_ALLOWLIST lists it',
    });
    expect(target.connections()).toBe(before);
    await guarded?.close();

    const byAddress = guardedFetch(loadConfig({ NODE_ENV: 'production', OUTBOUND_ALLOWLIST: '127.0.0.1' }).outbound, { 'local.test': ['127.0.0.1'] });
    expect(await (await byAddress(`http://127.0.0.1:${target.port}/`)).text()).toBe('pong');
    expect(await (await byAddress(`http://local.test:${target.port}/`)).text()).toBe('pong');
    await guarded?.close();

    const byName = guardedFetch(loadConfig({ NODE_ENV: 'production', OUTBOUND_ALLOWLIST: 'local.test' }).outbound, { 'local.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] });
    expect(await (await byName(`http://local.test:${target.port}/`)).text()).toBe('pong');
    expect(await rejectionOf(byName(`http://other.test:${target.port}/`))).toMatchObject({ host: 'other.test', rule: 'loopback' });
    // One connection per origin served: 127.0.0.1 and local.test (allowlisted by address), local.test (by name).
    expect(target.connections()).toBe(before + 3);
  });

  it('turns a 3xx answer into an error without following it', async () => {
    let followed = 0;
    const elsewhere = createServer((_request, response) => {
      followed += 1;
      response.end('secret');
    });
    elsewhere.listen(0, '127.0.0.1');
    await once(elsewhere, 'listening');
    const redirecting = createServer((_request, response) => {
      response.writeHead(307, { location: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/` });
      response.end();
    });
    redirecting.listen(0, '127.0.0.1');
    await once(redirecting, 'listening');
    try {
      const fetch = guardedFetch(DEVELOPMENT_POLICY, {});
      const error = await rejectionOf(fetch(`http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/`, { redirect: 'follow' }));
      expect(error).toBeInstanceOf(OutboundRedirectError);
      expect(error).toMatchObject({ status: 307, message: 'the provider redirected; redirects are not followed (HTTP 307)' });
      expect(followed).toBe(0);
    } finally {
      await Promise.all([new Promise((resolve) => redirecting.close(resolve)), new Promise((resolve) => elsewhere.close(resolve))]);
    }
  });
});

describe('a provider that redirects', () => {
  let redirecting: FakeServer;
  let elsewhere: FakeServer;

  beforeAll(async () => {
    [redirecting, elsewhere] = await Promise.all([startFakeOpenAiServer(), startFakeOpenAiServer()]);
  });
  afterAll(() => Promise.all([redirecting.close(), elsewhere.close()]));
  beforeEach(() => {
    redirecting.reset();
    elsewhere.reset();
  });
  const redirectNext = () => redirecting.failNext({ status: 302, headers: { location: `${elsewhere.baseUrl}/v1/chat/completions` }, body: {} });

  it('fails the OpenAI call without following, and not as retryable', async () => {
    redirectNext();
    const error = await rejectionOf(openAiDriver.generate(REQUEST, { apiKey: API_KEY, baseUrl: `${redirecting.baseUrl}/v1` }, signal()));
    expect(error).toBeInstanceOf(ProviderCallError);
    expect(error).toMatchObject({
      provider: 'OPENAI',
      code: 'PROVIDER_ERROR',
      retryable: false,
      statusCode: 302,
      message: 'The call to OpenAI failed: the provider redirected; redirects are not followed (HTTP 302).',
    });
    expect(redirecting.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('ends an OpenAI stream with the same error part', async () => {
    redirectNext();
    const parts = await collect(openAiDriver.stream(REQUEST, { apiKey: API_KEY, baseUrl: `${redirecting.baseUrl}/v1` }, signal()));
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ type: 'error', error: { code: 'PROVIDER_ERROR', retryable: false, message: expect.stringContaining('redirects are not followed') } });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('fails callLlm with PROVIDER_ERROR after one request: not retried, never followed', async () => {
    await t.configureProvider({ name: 'Redirecting', provider: 'OPENAI', config: { baseUrl: `${redirecting.baseUrl}/v1` }, apiKey: API_KEY, isActive: true });
    redirecting.failNext(
      { status: 302, headers: { location: `${elsewhere.baseUrl}/v1/chat/completions` }, body: {} },
      { status: 302, headers: { location: `${elsewhere.baseUrl}/v1/chat/completions` }, body: {} },
      { status: 302, headers: { location: `${elsewhere.baseUrl}/v1/chat/completions` }, body: {} },
    );
    const response = await t.graphql('mutation { callLlm(input: { prompt: "Say hello.", provider: OPENAI }) { text } }');
    expect(response.errors?.[0]).toMatchObject({ message: expect.stringContaining('redirects are not followed'), extensions: { code: 'PROVIDER_ERROR' } });
    expect(JSON.stringify(response)).not.toContain(API_KEY);
    expect(redirecting.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
    await t.db.sql('delete from specs.intelligence_providers');
  });
});

describe('every provider SDK and the GitHub client connect through the guarded fetch', () => {
  const REMOTE = ['OPENAI', 'GROK', 'COPILOT', 'CLAUDE', 'GEMINI', 'MISTRAL', 'OLLAMA'] as const;
  const model: Record<(typeof REMOTE)[number], string> = {
    OPENAI: 'gpt-4o-mini',
    GROK: 'grok-3-mini',
    COPILOT: 'gpt-4o',
    CLAUDE: 'claude-sonnet-4-20250514',
    GEMINI: 'gemini-2.5-flash',
    MISTRAL: 'mistral-small-latest',
    OLLAMA: 'llama3.2',
  };
  const production = loadConfig({ NODE_ENV: 'production' }).outbound;
  afterEach(() => setOutboundPolicy(DEVELOPMENT_POLICY));

  it.each(REMOTE)('%s: refused before any request under a production policy, served once 127.0.0.1 is allowlisted', async (kind) => {
    const driver = getDriver(kind);
    const settings = { apiKey: API_KEY, ...fakes.settingsFor(kind) };
    const request = { ...REQUEST, model: model[kind] };
    setOutboundPolicy(production);
    const error = await rejectionOf(driver.generate(request, settings, signal()));
    expect(error).toBeInstanceOf(ProviderCallError);
    expect(error).toMatchObject({ provider: kind, code: 'PROVIDER_ERROR', retryable: false });
    expect((error as Error).message).toMatch(/was not made because the address is not allowed: 127\.0\.0\.1 is a loopback address, which production refuses unless OUTBOUND_ALLOWLIST lists it\.$/);
    expect((error as Error).message).not.toContain(API_KEY);
    const [streamed] = await collect(driver.stream(request, settings, signal()));
    expect(streamed).toMatchObject({ type: 'error', error: { code: 'PROVIDER_ERROR', retryable: false, message: expect.stringContaining('the address is not allowed') } });
    expect(fakes.serverFor(kind).requests).toHaveLength(0);

    setOutboundPolicy(loadConfig({ NODE_ENV: 'production', OUTBOUND_ALLOWLIST: '127.0.0.0/8' }).outbound);
    const served = await driver.generate(request, settings, signal());
    expect(served.text).toBe('Hello from the fake provider.');
    expect(fakes.serverFor(kind).requests.length).toBeGreaterThan(0);
  });

  it('GitHub: refused before any request under a production policy, served once allowlisted', async () => {
    const github = await startFakeGitHubServer({ repositories: [WEB_APP], tokens: { 'ghp-outbound-token': [`${WEB_APP.owner}/${WEB_APP.name}`] } });
    try {
      const client = createGitHubClient({ token: 'ghp-outbound-token', endpoint: github.url });
      const viewer = z.object({ viewer: z.object({ login: z.string() }) });
      setOutboundPolicy(production);
      const error = await rejectionOf(client('query { viewer { login } }', {}, viewer, 'the viewer'));
      expect(error).toBeInstanceOf(GitHubError);
      expect(error).toMatchObject({ kind: 'UNAVAILABLE', message: expect.stringMatching(/^GitHub was not called because the address is not allowed: 127\.0\.0\.1 is a loopback address/) });
      expect((error as Error).message).not.toContain('ghp-outbound-token');
      expect(github.requests).toHaveLength(0);
      setOutboundPolicy(loadConfig({ NODE_ENV: 'production', OUTBOUND_ALLOWLIST: '127.0.0.1' }).outbound);
      await client('query { viewer { login } }', {}, viewer, 'the viewer');
      expect(github.requests).toHaveLength(1);
    } finally {
      await github.close();
    }
  });
});

describe('in production (NODE_ENV=production)', () => {
  let production: TestApp;
  const createOpenAi = (app: TestApp, baseUrl: string) =>
    app.graphql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
      variables: { input: { name: `Prod ${Math.random()}`, provider: 'OPENAI', config: { baseUrl }, apiKey: API_KEY } },
    });

  afterEach(async () => {
    setOutboundPolicy(DEVELOPMENT_POLICY);
    await production?.close();
  });

  it('refuses to save 127.0.0.1 unless OUTBOUND_ALLOWLIST lists it', async () => {
    production = await createTestApp({ NODE_ENV: 'production', AGORA_ENCRYPTION_KEY: TEST_MASTER_KEY });
    // What the runtime does at start with its config (see the report: startRuntime sets the process policy).
    setOutboundPolicy(production.config.outbound);
    const refused = await createOpenAi(production, fakes.baseUrls.OPENAI);
    expect(refused.errors?.[0]).toMatchObject({
      message: 'config.baseUrl is not allowed: 127.0.0.1 is a loopback address, which production refuses unless OUTBOUND_ALLOWLIST lists it.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect((await createOpenAi(production, 'http://localhost:11434/v1')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await createOpenAi(production, 'http://10.0.0.8/v1')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await createOpenAi(production, 'https://api.openai.com/v1')).errors).toBeUndefined();
  });

  it('saves and calls 127.0.0.1 when OUTBOUND_ALLOWLIST lists it', async () => {
    production = await createTestApp({ NODE_ENV: 'production', AGORA_ENCRYPTION_KEY: TEST_MASTER_KEY, OUTBOUND_ALLOWLIST: '127.0.0.1' });
    setOutboundPolicy(production.config.outbound);
    const saved = await createOpenAi(production, fakes.baseUrls.OPENAI);
    expect(saved.errors).toBeUndefined();
    expect((await createOpenAi(production, 'http://10.0.0.8/v1')).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const called = await production.graphql<{ callLlm: { text: string } }>('mutation { callLlm(input: { prompt: "Say hello.", provider: OPENAI }) { text } }');
    expect(called.errors).toBeUndefined();
    expect(called.data?.callLlm.text).toBe('Hello from the fake provider.');
    expect(fakes.openai.requests).toHaveLength(1);
  });
});
