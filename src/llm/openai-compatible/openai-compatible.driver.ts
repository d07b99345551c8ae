// One driver over the `openai` SDK for every API that speaks OpenAI's chat completions:
// OpenAI itself, xAI's Grok and GitHub Copilot differ only in endpoint, auth and small quirks.
import OpenAI from 'openai';
import { outboundFetch } from '../../net/guarded-fetch.ts';
import { ClientPool, guardStream } from '../driver-support.ts';
import type { ProviderCallError } from '../errors.ts';
import type { DriverCapabilities, DriverSettings, GenerateResult, LlmDriver, ProviderKind } from '../types.ts';
import { fromOpenAiError } from './openai-compatible.errors.ts';
import { toFinishReason } from './openai-compatible.finish-reason.ts';
import { type RequestQuirks, toChatCompletionParams } from './openai-compatible.request.ts';
import { toStreamParts } from './openai-compatible.stream.ts';
import { toolCallsOfChoices } from './openai-compatible.tool-calls.ts';
import { toTokenUsage, type UsageQuirks } from './openai-compatible.usage.ts';

export interface OpenAiCompatibleAuth {
  bearerToken: string;
  /** The SDK root, with the API version where the API has one (https://api.openai.com/v1). */
  baseUrl: string;
  headers?: Readonly<Record<string, string>>;
  /** Values that must never appear in an error: tokens derived from the configured key. */
  secrets: readonly string[];
}

export interface OpenAiCompatibleConfig {
  kind: ProviderKind;
  defaultModel: string;
  quirks: RequestQuirks;
  /** How this API counts its usage where it departs from OpenAI (absent: as OpenAI does). */
  usageQuirks?: UsageQuirks;
  /** What this API accepts of tools and response formats (each API says so in its driver). */
  capabilities: DriverCapabilities;
  /** Resolves the endpoint and credentials for one call (Copilot exchanges a token here). */
  authenticate: (settings: DriverSettings, signal: AbortSignal) => Promise<OpenAiCompatibleAuth>;
  /** Told when the API refused the credentials, so a cached token can be dropped. */
  onCredentialsRejected?: (settings: DriverSettings) => void;
}

/** Everything chat completions defines: tools, every tool choice, JSON mode and JSON schemas. */
export const CHAT_COMPLETIONS_CAPABILITIES: DriverCapabilities = {
  tools: true,
  forcedToolChoice: true,
  responseFormats: ['text', 'json_object', 'json_schema'],
};

const clients = new ClientPool<OpenAI>();

function createClient(auth: OpenAiCompatibleAuth, settings: DriverSettings): OpenAI {
  const id = [auth.bearerToken, auth.baseUrl, settings.timeoutMs, JSON.stringify(auth.headers ?? {})];
  // Every option the SDK would otherwise read from process.env is given explicitly; connections go
  // through the outbound policy's guarded fetch.
  return clients.get(id, () => new OpenAI({
    apiKey: auth.bearerToken,
    baseURL: auth.baseUrl,
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    maxRetries: 0,
    timeout: settings.timeoutMs,
    defaultHeaders: auth.headers,
    fetch: outboundFetch,
  }));
}

export function createOpenAiCompatibleDriver(config: OpenAiCompatibleConfig): LlmDriver {
  const { kind } = config;

  function errorMapper(settings: DriverSettings, secrets: string[], signal: AbortSignal) {
    return (error: unknown): ProviderCallError => {
      const mapped = fromOpenAiError(kind, error, { signal, secrets: [settings.apiKey, ...secrets] });
      if (mapped.code === 'API_KEY_REJECTED') config.onCredentialsRejected?.(settings);
      return mapped;
    };
  }

  return {
    kind,
    defaultModel: config.defaultModel,
    requiresApiKey: true,
    capabilities: config.capabilities,

    async generate(request, settings, signal): Promise<GenerateResult> {
      const secrets: string[] = [];
      try {
        const auth = await config.authenticate(settings, signal);
        secrets.push(...auth.secrets);
        const completion = await createClient(auth, settings).chat.completions.create(
          toChatCompletionParams(request, config.quirks),
          { signal },
        );
        // All choices make one answer (see toolCallsOfChoices): we never ask for several.
        const toolCalls = toolCallsOfChoices(completion.choices);
        return {
          text: completion.choices.map((choice) => choice.message.content ?? '').join(''),
          model: request.model,
          usage: toTokenUsage(completion.usage, config.usageQuirks),
          finishReason: toFinishReason(completion.choices[0]?.finish_reason, toolCalls.length > 0),
          toolCalls,
        };
      } catch (error) {
        throw errorMapper(settings, secrets, signal)(error);
      }
    },

    stream(request, settings, signal) {
      const secrets: string[] = [];
      return guardStream(kind, signal, errorMapper(settings, secrets, signal), async (upstreamSignal) => {
        const auth = await config.authenticate(settings, upstreamSignal);
        secrets.push(...auth.secrets);
        const chunks = await createClient(auth, settings).chat.completions.create(
          { ...toChatCompletionParams(request, config.quirks), stream: true, stream_options: { include_usage: true } },
          { signal: upstreamSignal },
        );
        return toStreamParts(chunks, request.model, config.usageQuirks);
      });
    },
  };
}
