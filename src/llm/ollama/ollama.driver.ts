import { Ollama } from 'ollama';
import { defaultModel } from '../catalogue.ts';
import { fetchWithDeadline, guardStream } from '../driver-support.ts';
import type { DriverCapabilities, DriverSettings, GenerateResult, LlmDriver } from '../types.ts';
import { fromOllamaError } from './ollama.errors.ts';
import { toFinishReason } from './ollama.finish-reason.ts';
import { toChatRequest } from './ollama.request.ts';
import { toStreamParts } from './ollama.stream.ts';
import { toToolCalls } from './ollama.tool-calls.ts';
import { toTokenUsage } from './ollama.usage.ts';

const DEFAULT_HOST = 'http://localhost:11434';

interface ResponseSeen {
  headers: Headers | null;
}

/**
 * One client per call: the SDK passes no signal for non-streamed requests, so the fetch we hand
 * it carries the caller's signal, and keeps the response headers its errors drop (Retry-After).
 * A key is optional: a local server needs none, a hosted or proxied one may.
 */
function createClient(settings: DriverSettings, signal: AbortSignal, seen: ResponseSeen): Ollama {
  const fetchWithSignal = fetchWithDeadline(signal, settings.timeoutMs);
  return new Ollama({
    host: settings.baseUrl ?? DEFAULT_HOST,
    fetch: async (input, init) => {
      const response = await fetchWithSignal(input, init);
      seen.headers = response.headers;
      return response;
    },
    headers: settings.apiKey ? { Authorization: `Bearer ${settings.apiKey}` } : undefined,
  });
}

/**
 * Ollama's chat API takes tools and a `format` (JSON mode or a schema) but has no tool choice:
 * the model alone decides whether to call, so required and named choices are refused up front.
 */
const OLLAMA_CAPABILITIES: DriverCapabilities = {
  tools: true,
  forcedToolChoice: false,
  responseFormats: ['text', 'json_object', 'json_schema'],
};

export const ollamaDriver: LlmDriver = {
  kind: 'OLLAMA',
  defaultModel: defaultModel('OLLAMA'),
  requiresApiKey: false,
  capabilities: OLLAMA_CAPABILITIES,

  async generate(request, settings, signal): Promise<GenerateResult> {
    const seen: ResponseSeen = { headers: null };
    try {
      const response = await createClient(settings, signal, seen).chat({ ...toChatRequest(request), stream: false });
      const toolCalls = toToolCalls(response.message?.tool_calls);
      return {
        text: response.message?.content ?? '',
        model: request.model,
        usage: toTokenUsage(response),
        finishReason: toFinishReason(response.done_reason, toolCalls.length > 0),
        toolCalls,
      };
    } catch (error) {
      throw fromOllamaError(error, { signal, secrets: [settings.apiKey] }, seen.headers);
    }
  },

  stream(request, settings, signal) {
    const seen: ResponseSeen = { headers: null };
    const toError = (error: unknown) => fromOllamaError(error, { signal, secrets: [settings.apiKey] }, seen.headers);
    return guardStream('OLLAMA', signal, toError, async (upstreamSignal) => {
      const lines = await createClient(settings, upstreamSignal, seen).chat({ ...toChatRequest(request), stream: true });
      return toStreamParts(lines, request.model);
    });
  },
};
