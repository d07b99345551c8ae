// Tool calls out of Ollama's answers. The SDK does not check what the server sent, so zod does.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ToolCall } from '../types.ts';

const toolCallSchema = z.object({
  // Ollama's chat API gives calls no id today; one is used if a server ever sends it.
  id: z.string().min(1).optional(),
  function: z.object({ name: z.string().min(1), arguments: z.unknown() }),
});

/**
 * A random id, not `call_<index>`: callers match results to calls by id across a whole
 * conversation, and an index would give every turn's first call the same one.
 */
function newToolCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

/** Ollama parses the model's output into an object; a server that passes text on keeps it as is. */
function argumentsText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value ?? {});
}

/** `calls`: a message's `tool_calls`, as received. A call without a name cannot be run and is left out. */
export function toToolCalls(calls: unknown): ToolCall[] {
  if (!Array.isArray(calls)) return [];
  return calls.flatMap((candidate: unknown) => {
    const parsed = toolCallSchema.safeParse(candidate);
    if (!parsed.success) return [];
    const { id, function: called } = parsed.data;
    return [{ id: id ?? newToolCallId(), name: called.name, arguments: argumentsText(called.arguments) }];
  });
}
