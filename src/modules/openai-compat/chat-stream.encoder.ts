// The pipeline's stream events as OpenAI's server-sent events: `data: {chat.completion.chunk}` frames (the
// first with the role, then content deltas, the tool calls in OpenAI's indexed delta format, a finish
// chunk, with include_usage a choice-less usage chunk), then `data: [DONE]`. An error after the first byte
// is a `data: {"error": ...}` frame, which the OpenAI SDKs raise as an APIError, and no [DONE].
import type { CallResult, CallStreamEvent } from '../calls/call-result.ts';
import { finishReasonOf, type CompletionIdentity, servedModelName, toolCallOf, usageOf } from './chat-response.mapper.ts';
import { errorBody, type OpenAiError } from './openai-errors.ts';

type Delta = { role?: 'assistant'; content?: string; tool_calls?: unknown[] };

export class ChatChunkEncoder {
  private readonly identity: CompletionIdentity;
  private readonly model: string;
  private readonly includeUsage: boolean;
  /** The text sent so far. */
  private sent = '';

  /** `model`: the route's `<provider>/<model>`, known before the first delta. */
  constructor(identity: CompletionIdentity, model: string, includeUsage: boolean) {
    this.identity = identity;
    this.model = model;
    this.includeUsage = includeUsage;
  }

  /** The frames for one pipeline event; `first` adds the role frame OpenAI opens every stream with. */
  framesOf(event: CallStreamEvent, first: boolean): string[] {
    const frames = first ? [this.chunk({ role: 'assistant', content: '' })] : [];
    if (!event.done) {
      if (event.delta) frames.push(this.content(event.delta));
      return frames;
    }
    // A result that arrives whole (an idempotent repeat: one final event) still streams its text.
    const { text } = event.result;
    if (text.length > this.sent.length && text.startsWith(this.sent)) frames.push(this.content(text.slice(this.sent.length)));
    return [...frames, ...this.endFrames(event.result)];
  }

  errorFrame(error: OpenAiError): string {
    return `data: ${JSON.stringify(errorBody(error))}\n\n`;
  }

  private content(text: string): string {
    this.sent += text;
    return this.chunk({ content: text });
  }

  private endFrames(result: CallResult): string[] {
    const model = servedModelName(result);
    // Whole calls, one per chunk, each under its index: what OpenAI's fragments add up to.
    const frames = result.toolCalls.map((call, index) => this.chunk({ tool_calls: [{ index, ...toolCallOf(call) }] }, null, model));
    frames.push(this.chunk({}, finishReasonOf(result), model));
    if (this.includeUsage) frames.push(this.frame({ ...this.envelope(model), choices: [], usage: usageOf(result) }));
    frames.push('data: [DONE]\n\n');
    return frames;
  }

  private chunk(delta: Delta, finishReason: string | null = null, model = this.model): string {
    const usage = this.includeUsage ? { usage: null } : {};
    return this.frame({ ...this.envelope(model), choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...usage });
  }

  private envelope(model: string) {
    return { id: this.identity.id, object: 'chat.completion.chunk', created: this.identity.created, model, system_fingerprint: null };
  }

  private frame(payload: unknown): string {
    return `data: ${JSON.stringify(payload)}\n\n`;
  }
}

/**
 * The response body: the first event (already read, so that errors before it became plain HTTP errors),
 * then one event per pull, so a slow client slows the upstream read instead of buffering it. A client
 * that goes away cancels the body, which ends the pipeline's stream (the call is recorded CANCELLED).
 */
export function sseBody(
  encoder: ChatChunkEncoder,
  first: CallStreamEvent,
  events: AsyncIterator<CallStreamEvent>,
  errorOf: (error: unknown) => OpenAiError,
): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder();
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, frames: string[]) => {
    if (frames.length) controller.enqueue(bytes.encode(frames.join('')));
  };
  let finished = first.done;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      send(controller, encoder.framesOf(first, true));
      if (finished) controller.close();
    },
    async pull(controller) {
      try {
        // Until something is sent: a pull that enqueues nothing is not called again.
        for (;;) {
          const next = await events.next();
          if (next.done) {
            finished = true;
            controller.close();
            return;
          }
          const frames = encoder.framesOf(next.value, false);
          send(controller, frames);
          if (next.value.done) {
            finished = true;
            controller.close();
          }
          if (frames.length || finished) return;
        }
      } catch (error) {
        finished = true;
        send(controller, [encoder.errorFrame(errorOf(error))]);
        controller.close();
      }
    },
    async cancel() {
      if (!finished) await events.return?.();
    },
  });
}
