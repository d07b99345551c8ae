// Tool calls out of chat completions answers: whole in a message, or in indexed stream fragments.
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionMessageToolCall } from 'openai/resources/chat/completions';
import type { StreamPart, ToolCall } from '../types.ts';

/** A result is matched to its call by id: should a compatible server leave it out, the call still gets one. */
function idOrFallback(id: string | null | undefined, position: number): string {
  return id || `call_${position}`;
}

/**
 * Every choice's calls, in order. We never ask for several choices (n), yet Copilot answers Claude
 * models with the text in one choice and the tool calls in another: all choices are one answer.
 */
export function toolCallsOfChoices(choices: readonly ChatCompletion.Choice[]): ToolCall[] {
  const calls = choices.flatMap((choice): ChatCompletionMessageToolCall[] => choice.message.tool_calls ?? []);
  // Custom (free-text) tools are never offered; `type` is tested that way round because a
  // compatible server may leave it out of function calls.
  return calls.flatMap((call, position) =>
    call.type !== 'custom' ? [{ id: idOrFallback(call.id, position), name: call.function.name, arguments: call.function.arguments ?? '' }] : [],
  );
}

type ToolCallFragment = ChatCompletionChunk.Choice.Delta.ToolCall;

/**
 * Streamed calls come as fragments keyed by `index`: the first one of an index carries the id and
 * the name, the following ones pieces of the arguments. Keys include the choice for the reason above.
 * A fragment with another id under a known index starts a new call: a compatible server may give
 * every parallel call the same index (or none).
 */
export class ToolCallAssembler {
  private readonly calls: ToolCall[] = [];
  private readonly positionByKey = new Map<string, number>();

  /** Adds one fragment and returns the part that reports it, if it carried anything. */
  add(choiceIndex: number, fragment: ToolCallFragment): StreamPart | null {
    if (fragment.type === 'custom' || fragment.custom) return null;
    const key = `${choiceIndex}:${fragment.index}`;
    const argumentsDelta = fragment.function?.arguments ?? '';
    const position = this.positionByKey.get(key);
    const call = position === undefined ? undefined : this.calls[position];
    if (position === undefined || !call || (fragment.id && call.id && fragment.id !== call.id)) {
      const id = fragment.id ?? '';
      const name = fragment.function?.name ?? '';
      this.positionByKey.set(key, this.calls.length);
      this.calls.push({ id, name, arguments: argumentsDelta });
      return { type: 'tool-call-delta', index: this.calls.length - 1, ...(id ? { id } : {}), ...(name ? { name } : {}), argumentsDelta };
    }
    // Some servers repeat the id and name on every fragment: they are taken once, never joined.
    if (!call.id && fragment.id) call.id = fragment.id;
    if (!call.name && fragment.function?.name) call.name = fragment.function.name;
    call.arguments += argumentsDelta;
    return argumentsDelta ? { type: 'tool-call-delta', index: position, argumentsDelta } : null;
  }

  /** The whole calls, in the order they began. */
  finish(): ToolCall[] {
    return this.calls.map((call, position) => ({ ...call, id: idOrFallback(call.id, position) }));
  }
}
