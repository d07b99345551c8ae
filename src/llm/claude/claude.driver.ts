import type Anthropic from '@anthropic-ai/sdk';
import { outboundFetch } from '../../net/guarded-fetch.ts';
import { defaultModel } from '../catalogue.ts';
import { ClientPool, guardStream, requireApiKey } from '../driver-support.ts';
import type { DriverCapabilities, DriverSettings, GenerateResult, LlmDriver } from '../types.ts';
import { fromClaudeError } from './claude.errors.ts';
import { claudeSdk } from './claude.sdk.ts';
import { toFinishReason } from './claude.finish-reason.ts';
import { toMessageParams } from './claude.request.ts';
import { answerFinishReason, toAnswer } from './claude.response.ts';
import { toStreamParts } from './claude.stream.ts';
import { answersWithJsonTool } from './claude.tools.ts';
import { toTokenUsage } from './claude.usage.ts';

// The SDK appends /v1/messages itself, so the root carries no version.
const DEFAULT_BASE_URL = 'https://api.anthropic.com';

const clients = new ClientPool<Anthropic>();

async function createClient(settings: DriverSettings): Promise<Anthropic> {
  const { default: AnthropicClient } = await claudeSdk.load();
  const apiKey = requireApiKey('CLAUDE', settings);
  const baseURL = settings.baseUrl ?? DEFAULT_BASE_URL;
  // authToken: null keeps the SDK from looking for other credentials in the environment; connections go
  // through the outbound policy's guarded fetch.
  return clients.get([apiKey, baseURL, settings.timeoutMs], () =>
    new AnthropicClient({ apiKey, authToken: null, webhookKey: null, baseURL, maxRetries: 0, timeout: settings.timeoutMs, fetch: outboundFetch }),
  );
}

/** JSON answers come through a forced tool (see claude.tools.ts), so they are refused with the caller's tools. */
const CAPABILITIES: DriverCapabilities = {
  tools: true,
  forcedToolChoice: true,
  responseFormats: ['text', 'json_object', 'json_schema'],
  // JSON answers use a forced tool of their own (claude.tools.ts), so they cannot come with the caller's tools.
  toolsWithResponseFormat: false,
};

export const claudeDriver: LlmDriver = {
  kind: 'CLAUDE',
  defaultModel: defaultModel('CLAUDE'),
  requiresApiKey: true,
  capabilities: CAPABILITIES,

  async generate(request, settings, signal): Promise<GenerateResult> {
    try {
      const jsonAnswer = answersWithJsonTool(request);
      const message = await (await createClient(settings)).messages.create(toMessageParams(request), { signal });
      return {
        ...toAnswer(message.content, jsonAnswer),
        model: request.model,
        usage: toTokenUsage(message.usage),
        finishReason: answerFinishReason(toFinishReason(message.stop_reason), jsonAnswer),
      };
    } catch (error) {
      throw fromClaudeError(error, { signal, secrets: [settings.apiKey] });
    }
  },

  stream(request, settings, signal) {
    const toError = (error: unknown) => fromClaudeError(error, { signal, secrets: [settings.apiKey] });
    // Built before the stream starts, so a request Claude cannot take is refused at the call.
    const params = toMessageParams(request);
    return guardStream('CLAUDE', signal, toError, async (upstreamSignal) => {
      const events = await (await createClient(settings)).messages.create({ ...params, stream: true }, { signal: upstreamSignal });
      return toStreamParts(events, request.model, answersWithJsonTool(request));
    });
  },
};
