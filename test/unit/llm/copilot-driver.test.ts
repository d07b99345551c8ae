import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCopilotDriver } from '../../../src/llm/copilot/copilot.driver.ts';
import { type FakeCopilotServer, startFakeCopilotServer } from '../../support/fake-llm/copilot.fake.ts';
import { describeDriverContract, expectNoSecret, FULL_REQUEST, PROMPT_TEXT, SYSTEM_TEXT, generateError } from './driver-contract.ts';

const GITHUB_TOKEN = 'ghp_testGithubTokenSECRET0123456789abcd';
const signal = (): AbortSignal => new AbortController().signal;

// A fresh driver (and token cache) per contract run keeps tests independent of each other.
let contractDriver = createCopilotDriver();

describeDriverContract('Copilot', {
  driver: () => contractDriver,
  startServer: async () => {
    contractDriver = createCopilotDriver();
    return startFakeCopilotServer();
  },
  // No baseUrl: the chat API comes from the exchange's endpoints.api, as for a real account.
  settings: (server) => ({ apiKey: GITHUB_TOKEN, tokenUrl: (server as FakeCopilotServer).tokenUrl }),
  model: 'gpt-4o',
  chatPath: '/chat/completions',
  unauthorized: () => ({ status: 401, body: { error: { message: 'unauthorized: token expired' } } }),
  rateLimitedForOneSecond: { status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'rate limited', code: 'rate_limited' } } },
  expectRequestBody(body, request, streaming) {
    expect(body).toEqual({
      model: request.model,
      messages: [
        { role: 'system', content: SYSTEM_TEXT },
        { role: 'user', content: PROMPT_TEXT },
      ],
      max_tokens: 64,
      temperature: 0.25,
      ...(streaming ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
  },
});

describe('Copilot token exchange', () => {
  let server: FakeCopilotServer;
  beforeAll(async () => {
    server = await startFakeCopilotServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  const request = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hello' }] };
  const exchanges = () => server.requests.filter((recorded) => recorded.path === '/copilot_internal/v2/token');
  const chats = () => server.requests.filter((recorded) => recorded.path === '/chat/completions');

  it('exchanges the GitHub token once and reuses the Copilot token across calls', async () => {
    const driver = createCopilotDriver();
    const settings = { apiKey: GITHUB_TOKEN, tokenUrl: server.tokenUrl };
    await driver.generate(request, settings, signal());
    await driver.generate(request, settings, signal());
    expect(exchanges()).toHaveLength(1);
    expect(exchanges()[0]?.method).toBe('GET');
    expect(exchanges()[0]?.headers.authorization).toBe(`token ${GITHUB_TOKEN}`);
    expect(chats()).toHaveLength(2);
  });

  it('sends the Copilot token, never the GitHub token, with the editor headers Copilot requires', async () => {
    await createCopilotDriver().generate(request, { apiKey: GITHUB_TOKEN, tokenUrl: server.tokenUrl }, signal());
    const headers = chats()[0]?.headers ?? {};
    expect(headers.authorization).toBe(`Bearer ${server.issuedTokens[0]}`);
    expect(JSON.stringify(chats()[0])).not.toContain(GITHUB_TOKEN);
    expect(headers['editor-version']).toMatch(/^vscode\/\d/);
    expect(headers['editor-plugin-version']).toMatch(/^copilot-chat\/\d/);
    expect(headers['copilot-integration-id']).toBe('vscode-chat');
    expect(headers['user-agent']).toMatch(/^GitHubCopilotChat\//);
  });

  it('exchanges again once the cached token is close to expiry', async () => {
    server.setTokenLifetimeSeconds(60);
    const driver = createCopilotDriver();
    const settings = { apiKey: GITHUB_TOKEN, tokenUrl: server.tokenUrl };
    await driver.generate(request, settings, signal());
    await driver.generate(request, settings, signal());
    expect(exchanges()).toHaveLength(2);
    expect(server.issuedTokens).toHaveLength(2);
  });

  it('keeps separate tokens for separate GitHub tokens', async () => {
    const driver = createCopilotDriver();
    await driver.generate(request, { apiKey: GITHUB_TOKEN, tokenUrl: server.tokenUrl }, signal());
    await driver.generate(request, { apiKey: `${GITHUB_TOKEN}-other`, tokenUrl: server.tokenUrl }, signal());
    expect(exchanges()).toHaveLength(2);
  });

  it('lets settings.baseUrl win over the endpoint GitHub assigned', async () => {
    const other = await startFakeCopilotServer();
    try {
      const driver = createCopilotDriver();
      const error = await generateError(driver.generate(request, { apiKey: GITHUB_TOKEN, tokenUrl: server.tokenUrl, baseUrl: other.baseUrl }, signal()));
      // The other fake never issued this token, so it refuses it: proof the chat went there.
      expect(error.code).toBe('API_KEY_REJECTED');
      expect(other.requests.map((recorded) => recorded.path)).toEqual(['/chat/completions']);
      expect(chats()).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('reports a GitHub token refused by the exchange clearly, without the token', async () => {
    server.failNext({ status: 401, pathIncludes: 'copilot_internal', body: { message: `Bad credentials for ${GITHUB_TOKEN}` } });
    const error = await generateError(createCopilotDriver().generate(request, { apiKey: GITHUB_TOKEN, tokenUrl: server.tokenUrl }, signal()));
    expect(error).toMatchObject({ code: 'API_KEY_REJECTED', statusCode: 401, retryable: false, provider: 'COPILOT' });
    expect(error.message).toMatch(/GitHub rejected the token/);
    expectNoSecret(error, GITHUB_TOKEN);
    expect(chats()).toHaveLength(0);
  });

  it('reports an account without Copilot (403 on the exchange)', async () => {
    server.failNext({ status: 403, pathIncludes: 'copilot_internal' });
    const error = await generateError(createCopilotDriver().generate(request, { apiKey: GITHUB_TOKEN, tokenUrl: server.tokenUrl }, signal()));
    expect(error).toMatchObject({ code: 'API_KEY_REJECTED', statusCode: 403 });
    expect(error.message).toMatch(/no Copilot subscription/);
  });

  it('drops a Copilot token the chat API refused, so the next call exchanges again', async () => {
    const driver = createCopilotDriver();
    const settings = { apiKey: GITHUB_TOKEN, tokenUrl: server.tokenUrl };
    await driver.generate(request, settings, signal());
    server.failNext({ status: 401, pathIncludes: '/chat/completions' });
    await generateError(driver.generate(request, settings, signal()));
    await driver.generate(request, settings, signal());
    expect(exchanges()).toHaveLength(2);
  });

  it('keeps the exchanged Copilot token out of error messages', async () => {
    const driver = createCopilotDriver();
    const settings = { apiKey: GITHUB_TOKEN, tokenUrl: server.tokenUrl };
    await driver.generate(request, settings, signal());
    const copilotToken = server.issuedTokens[0] ?? 'missing';
    server.failNext({ status: 400, pathIncludes: '/chat/completions', body: { error: { message: `bad request with token ${copilotToken}` } } });
    const error = await generateError(driver.generate(request, settings, signal()));
    expect(error.code).toBe('BAD_REQUEST');
    expectNoSecret(error, copilotToken);
  });
});
