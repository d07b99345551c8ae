// Tool calls out of Mistral's answers, whole or streamed.
import type { ToolCall as MistralToolCall } from '@mistralai/mistralai/models/components';
import type { StreamPart, ToolCall } from '../types.ts';

/** The SDK's schema turns an id the API left out into the string "null". */
function realId(id: string | undefined): string | undefined {
  return id && id !== 'null' ? id : undefined;
}

/** Arguments come as the model's JSON text or, in the SDK's type, as an object: always text here. */
function argumentsText(value: MistralToolCall['function']['arguments']): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function toToolCalls(calls: readonly MistralToolCall[] | null | undefined): ToolCall[] {
  return (calls ?? []).map((call, position) => ({
    id: realId(call.id) ?? `call_${position}`,
    name: call.function.name,
    arguments: argumentsText(call.function.arguments),
  }));
}

/**
 * Mistral sends each streamed call whole in one chunk, each with its own index. Fragments of one
 * call (the same index, no other id) are joined all the same, so a server that streams arguments
 * in pieces, as OpenAI's does, is read correctly; the same index with another id is a new call.
 */
export class ToolCallAssembler {
  private readonly calls: ToolCall[] = [];
  private readonly positionByIndex = new Map<number, number>();

  add(fragment: MistralToolCall): StreamPart {
    const id = realId(fragment.id);
    const index = fragment.index ?? 0;
    const argumentsDelta = argumentsText(fragment.function.arguments);
    const position = this.positionByIndex.get(index);
    const current = position === undefined ? undefined : this.calls[position];
    if (position !== undefined && current && !(id && current.id && id !== current.id)) {
      if (!current.id && id) current.id = id;
      current.arguments += argumentsDelta;
      return { type: 'tool-call-delta', index: position, argumentsDelta };
    }
    this.calls.push({ id: id ?? '', name: fragment.function.name, arguments: argumentsDelta });
    this.positionByIndex.set(index, this.calls.length - 1);
    return { type: 'tool-call-delta', index: this.calls.length - 1, ...(id ? { id } : {}), name: fragment.function.name, argumentsDelta };
  }

  finish(): ToolCall[] {
    return this.calls.map((call, position) => ({ ...call, id: call.id || `call_${position}` }));
  }
}
