// Every fake provider at once, for tests of the app that route calls through real drivers:
// `settingsFor(kind)` gives the DriverSettings fields that point a driver at its fake.
import type { DriverSettings, ProviderKind } from '../../../src/llm/types.ts';
import { startFakeAnthropicServer } from './anthropic.fake.ts';
import { type FakeCopilotServer, startFakeCopilotServer } from './copilot.fake.ts';
import type { FakeServer } from './fake-http-server.ts';
import { startFakeGeminiServer } from './gemini.fake.ts';
import { startFakeMistralServer } from './mistral.fake.ts';
import { startFakeOllamaServer } from './ollama.fake.ts';
import { startFakeOpenAiServer } from './openai-compatible.fake.ts';

type RemoteKind = Exclude<ProviderKind, 'LOCAL'>;

export interface FakeLlmServers {
  openai: FakeServer;
  grok: FakeServer;
  copilot: FakeCopilotServer;
  claude: FakeServer;
  gemini: FakeServer;
  mistral: FakeServer;
  ollama: FakeServer;
  /** The SDK root URL per provider, in the form DriverSettings.baseUrl takes. */
  baseUrls: Readonly<Record<RemoteKind, string>>;
  settingsFor(kind: RemoteKind): Pick<DriverSettings, 'baseUrl' | 'tokenUrl'>;
  serverFor(kind: RemoteKind): FakeServer;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeLlmServers(): Promise<FakeLlmServers> {
  const [openai, grok, copilot, claude, gemini, mistral, ollama] = await Promise.all([
    startFakeOpenAiServer(),
    startFakeOpenAiServer(),
    startFakeCopilotServer(),
    startFakeAnthropicServer(),
    startFakeGeminiServer(),
    startFakeMistralServer(),
    startFakeOllamaServer(),
  ]);
  const servers: Record<RemoteKind, FakeServer> = {
    OPENAI: openai,
    GROK: grok,
    COPILOT: copilot,
    CLAUDE: claude,
    GEMINI: gemini,
    MISTRAL: mistral,
    OLLAMA: ollama,
  };
  const baseUrls: Record<RemoteKind, string> = {
    OPENAI: `${openai.baseUrl}/v1`,
    GROK: `${grok.baseUrl}/v1`,
    // Copilot's chat API has no version segment; the token exchange names it in endpoints.api.
    COPILOT: copilot.baseUrl,
    CLAUDE: claude.baseUrl,
    GEMINI: gemini.baseUrl,
    MISTRAL: mistral.baseUrl,
    OLLAMA: ollama.baseUrl,
  };
  return {
    openai,
    grok,
    copilot,
    claude,
    gemini,
    mistral,
    ollama,
    baseUrls,
    settingsFor(kind) {
      return kind === 'COPILOT' ? { baseUrl: baseUrls.COPILOT, tokenUrl: copilot.tokenUrl } : { baseUrl: baseUrls[kind] };
    },
    serverFor(kind) {
      return servers[kind];
    },
    reset() {
      for (const server of Object.values(servers)) server.reset();
    },
    async close() {
      await Promise.all(Object.values(servers).map((server) => server.close()));
    },
  };
}
