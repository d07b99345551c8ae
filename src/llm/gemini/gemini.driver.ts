import type { GoogleGenAI } from '@google/genai';
import { defaultModel } from '../catalogue.ts';
import { fetchWithDeadline, guardStream, requireApiKey } from '../driver-support.ts';
import type { DriverCapabilities, DriverSettings, GenerateResult, LlmDriver } from '../types.ts';
import { fromGeminiError } from './gemini.errors.ts';
import { geminiSdk } from './gemini.sdk.ts';
import { toFinishReason } from './gemini.finish-reason.ts';
import { toGenerateContentParameters } from './gemini.request.ts';
import { promptBlocked, responseFinishReason, responseText, responseToolCalls } from './gemini.response.ts';
import { toStreamParts } from './gemini.stream.ts';
import { toTokenUsage } from './gemini.usage.ts';

const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
/** The SDK's own default for the Gemini API, named so the environment cannot change it. */
const API_VERSION = 'v1beta';

/**
 * The SDK's own timeout keeps running while a stream is read, cutting long answers short; the
 * deadline in our fetch bounds only the wait for the response, as the other SDKs' timeouts do.
 */
async function createClient(settings: DriverSettings, signal: AbortSignal): Promise<GoogleGenAI> {
  const { GoogleGenAI: Client } = await geminiSdk.load();
  return new Client({
    vertexai: false,
    apiKey: requireApiKey('GEMINI', settings),
    apiVersion: API_VERSION,
    httpOptions: {
      baseUrl: settings.baseUrl ?? DEFAULT_BASE_URL,
      fetch: fetchWithDeadline(signal, settings.timeoutMs),
      // One attempt: retries live in our retry module.
      retryOptions: { attempts: 1 },
    },
  });
}

/** All native (functionDeclarations, toolConfig, responseJsonSchema); only JSON answers with tools are refused. */
const CAPABILITIES: DriverCapabilities = {
  tools: true,
  forcedToolChoice: true,
  responseFormats: ['text', 'json_object', 'json_schema'],
  // Gemini 2.x answers 400 to function calling together with a JSON response MIME type.
  toolsWithResponseFormat: false,
};

export const geminiDriver: LlmDriver = {
  kind: 'GEMINI',
  defaultModel: defaultModel('GEMINI'),
  requiresApiKey: true,
  capabilities: CAPABILITIES,

  async generate(request, settings, signal): Promise<GenerateResult> {
    try {
      const params = toGenerateContentParameters(request);
      const response = await (await createClient(settings, signal)).models.generateContent({
        ...params,
        config: { ...params.config, abortSignal: signal },
      });
      const toolCalls = responseToolCalls(response);
      return {
        text: responseText(response),
        model: request.model,
        usage: toTokenUsage(response.usageMetadata),
        finishReason: toFinishReason(responseFinishReason(response), promptBlocked(response), toolCalls.length > 0),
        toolCalls,
      };
    } catch (error) {
      throw fromGeminiError(error, { signal, secrets: [settings.apiKey] });
    }
  },

  stream(request, settings, signal) {
    const toError = (error: unknown) => fromGeminiError(error, { signal, secrets: [settings.apiKey] });
    // Built before the stream starts, so a request Gemini cannot take is refused at the call.
    const params = toGenerateContentParameters(request);
    return guardStream('GEMINI', signal, toError, async (upstreamSignal) => {
      const chunks = await (await createClient(settings, upstreamSignal)).models.generateContentStream({
        ...params,
        config: { ...params.config, abortSignal: upstreamSignal },
      });
      return toStreamParts(chunks, request.model);
    });
  },
};
