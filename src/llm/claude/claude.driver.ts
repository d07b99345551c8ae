import Anthropic from '@anthropic-ai/sdk';
import { defaultModel } from '../catalogue.ts';
import { ClientPool, guardStream, requireApiKey, TEXT_ONLY } from '../driver-support.ts';
import type { DriverSettings, GenerateResult, LlmDriver } from '../types.ts';
import { fromClaudeError } from './claude.errors.ts';
import { toFinishReason } from './claude.finish-reason.ts';
import { toMessageParams } from './claude.request.ts';
import { toStreamParts } from './claude.stream.ts';
import { toTokenUsage } from './claude.usage.ts';

// The SDK appends /v1/messages itself, so the root carries no version.
const DEFAULT_BASE_URL = 'https://api.anthropic.com';

const clients = new ClientPool<Anthropic>();

function createClient(settings: DriverSettings): Anthropic {
  const apiKey = requireApiKey('CLAUDE', settings);
  const baseURL = settings.baseUrl ?? DEFAULT_BASE_URL;
  // authToken: null keeps the SDK from looking for other credentials in the environment.
  return clients.get([apiKey, baseURL, settings.timeoutMs], () =>
    new Anthropic({ apiKey, authToken: null, webhookKey: null, baseURL, maxRetries: 0, timeout: settings.timeoutMs }),
  );
}

export const claudeDriver: LlmDriver = {
  kind: 'CLAUDE',
  defaultModel: defaultModel('CLAUDE'),
  requiresApiKey: true,
  capabilities: TEXT_ONLY,

  async generate(request, settings, signal): Promise<GenerateResult> {
    try {
      const message = await createClient(settings).messages.create(toMessageParams(request), { signal });
      const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
      return {
        text,
        model: request.model,
        usage: toTokenUsage(message.usage),
        finishReason: toFinishReason(message.stop_reason),
        toolCalls: [],
      };
    } catch (error) {
      throw fromClaudeError(error, { signal, secrets: [settings.apiKey] });
    }
  },

  stream(request, settings, signal) {
    const toError = (error: unknown) => fromClaudeError(error, { signal, secrets: [settings.apiKey] });
    return guardStream('CLAUDE', signal, toError, async function* (upstreamSignal) {
      const events = await createClient(settings).messages.create({ ...toMessageParams(request), stream: true }, { signal: upstreamSignal });
      yield* toStreamParts(events, request.model);
    });
  },
};
