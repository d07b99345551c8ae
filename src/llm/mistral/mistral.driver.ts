import type { Mistral } from '@mistralai/mistralai';
import { defaultModel } from '../catalogue.ts';
import { fetchWithDeadline, guardStream, requireApiKey } from '../driver-support.ts';
import type { DriverCapabilities, DriverSettings, GenerateResult, LlmDriver } from '../types.ts';
import { fromMistralError } from './mistral.errors.ts';
import { type MistralSdk, mistralSdk } from './mistral.sdk.ts';
import { toFinishReason } from './mistral.finish-reason.ts';
import { toChatRequest } from './mistral.request.ts';
import { contentText } from './mistral.response.ts';
import { toStreamParts } from './mistral.stream.ts';
import { toToolCalls } from './mistral.tool-calls.ts';
import { usageFromRawBody } from './mistral.usage.ts';

const DEFAULT_SERVER_URL = 'https://api.mistral.ai';

interface RawCapture {
  body: string | null;
}

/**
 * The SDK drops its own timeout whenever a signal is passed, so the deadline lives in the fetch.
 * `capture` receives the raw JSON body of a successful non-streamed answer (see mistral.usage.ts).
 */
function createClient({ sdk: { HTTPClient, Mistral } }: MistralSdk, settings: DriverSettings, signal: AbortSignal, capture?: RawCapture): Mistral {
  const httpClient = new HTTPClient({ fetcher: fetchWithDeadline(signal, settings.timeoutMs) });
  if (capture) {
    httpClient.addHook('response', async (response) => {
      if (response.ok && response.headers.get('content-type')?.includes('application/json')) {
        capture.body = await response.clone().text();
      }
    });
  }
  return new Mistral({
    apiKey: requireApiKey('MISTRAL', settings),
    serverURL: settings.baseUrl ?? DEFAULT_SERVER_URL,
    retryConfig: { strategy: 'none' },
    httpClient,
  });
}

/** Mistral's chat API has function calling with auto/none/any and a named tool, JSON mode and JSON schemas. */
const MISTRAL_CAPABILITIES: DriverCapabilities = {
  tools: true,
  forcedToolChoice: true,
  responseFormats: ['text', 'json_object', 'json_schema'],
};

export const mistralDriver: LlmDriver = {
  kind: 'MISTRAL',
  defaultModel: defaultModel('MISTRAL'),
  requiresApiKey: true,
  capabilities: MISTRAL_CAPABILITIES,

  async generate(request, settings, signal): Promise<GenerateResult> {
    const capture: RawCapture = { body: null };
    try {
      const response = await createClient(await mistralSdk.load(), settings, signal, capture).chat.complete(toChatRequest(request), { signal });
      const choice = response.choices[0];
      const toolCalls = toToolCalls(choice?.message?.toolCalls);
      return {
        text: contentText(choice?.message?.content),
        model: request.model,
        usage: usageFromRawBody(capture.body),
        finishReason: toFinishReason(choice?.finishReason, toolCalls.length > 0),
        toolCalls,
      };
    } catch (error) {
      throw fromMistralError(error, { signal, secrets: [settings.apiKey] });
    }
  },

  stream(request, settings, signal) {
    const toError = (error: unknown) => fromMistralError(error, { signal, secrets: [settings.apiKey] });
    return guardStream('MISTRAL', signal, toError, async (upstreamSignal) => {
      const events = await createClient(await mistralSdk.load(), settings, upstreamSignal).chat.stream(toChatRequest(request), { signal: upstreamSignal });
      return toStreamParts(events, request.model);
    });
  },
};
