// The OpenAI-compatible endpoint over the one call pipeline, `call` and `callStream` (so routing, keys,
// budgets, idempotency and usage rows are callLlm's): the body mapped to a call, the model name to a
// route target, headers to the project and the idempotency key. Nothing here reaches a provider.
import { abortableSource } from '../../events/abortable.ts';
import type { Actor } from '../auth/actor.ts';
import type { CallInput, CallsService } from '../calls/calls.service.ts';
import { toChatCall } from './chat-request.mapper.ts';
import { type ChatCompletion, completionOf, newCompletionIdentity } from './chat-response.mapper.ts';
import { ChatChunkEncoder, sseBody } from './chat-stream.encoder.ts';
import { type OpenAiError, refused } from './openai-errors.ts';
import { type ModelEntry, listModels, publicModelName, resolveModelName } from './openai-models.ts';

/** Headers that shape a call: the project it is for, an idempotency key, and the response cache (X-Agora-Cache). */
export interface CallHeaders {
  project: string | null;
  idempotencyKey: string | null;
  cache?: string | null;
}

/** X-Agora-Cache: true or false (any case); absent: the configuration decides. */
function cacheOf(header: string | null | undefined): boolean | null {
  if (header === null || header === undefined || header.trim() === '') return null;
  const value = header.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw refused('X-Agora-Cache', 'The header X-Agora-Cache must be true or false.');
}

export interface PreparedChat {
  input: CallInput;
  stream: boolean;
  includeUsage: boolean;
}

export class OpenAiCompatService {
  private readonly calls: CallsService;

  constructor(calls: CallsService) {
    this.calls = calls;
  }

  models(actor: Actor): Promise<ModelEntry[]> {
    return listModels((kind) => this.calls.isAvailable(actor, kind));
  }

  async model(actor: Actor, name: string): Promise<ModelEntry> {
    const found = (await this.models(actor)).find((entry) => entry.id === name);
    if (!found) throw refused('model', `The model '${name.slice(0, 200)}' does not exist or you cannot use it.`, 'model_not_found', 'NOT_FOUND');
    return found;
  }

  /** Validates the body and headers and names the route target; throws before anything is spent. */
  async prepare(actor: Actor, body: unknown, headers: CallHeaders): Promise<PreparedChat> {
    const chat = toChatCall(body);
    const target = await resolveModelName(chat.modelName, (kind) => this.calls.isAvailable(actor, kind));
    const input: CallInput = { ...chat.content, ...target, projectId: headers.project?.trim() || null, idempotencyKey: headers.idempotencyKey, cache: cacheOf(headers.cache) };
    return { input, stream: chat.stream, includeUsage: chat.includeUsage };
  }

  async complete(actor: Actor, chat: PreparedChat, signal: AbortSignal): Promise<ChatCompletion> {
    const identity = newCompletionIdentity();
    return completionOf(identity, await this.calls.call(actor, chat.input, signal));
  }

  /**
   * Opens the stream and waits for its first event, so that a call refused or failing before its first
   * byte is a plain HTTP error (429, 402, 502...) that clients handle as for any request.
   */
  async openStream(actor: Actor, chat: PreparedChat, signal: AbortSignal, errorOf: (error: unknown) => OpenAiError): Promise<{ id: string; body: ReadableStream<Uint8Array> }> {
    const model = await this.streamModelName(actor, chat.input);
    const identity = newCompletionIdentity();
    const events = abortableSource((inner) => this.calls.callStream(actor, chat.input, inner), signal);
    const first = await events.next();
    if (first.done) throw new Error('The call stream ended without an event.');
    return { id: identity.id, body: sseBody(new ChatChunkEncoder(identity, model, chat.includeUsage), first.value, events, errorOf) };
  }

  /**
   * Every chunk names the model, the first ones before the result does: a named model is known, and
   * agora/default is routed once more for its name (content checked first, as callStream does).
   */
  private async streamModelName(actor: Actor, input: CallInput): Promise<string> {
    if (input.provider && input.model) return publicModelName(input.provider, input.model);
    this.calls.request(input);
    const route = await this.calls.prepare(actor, input);
    return publicModelName(route.kind, route.model);
  }
}
