// What a finished call returns to callers (GraphQL, analyses): the answer with its tool calls parsed,
// tokens and exact cost, and how it was served.
import type { FinishReason, ProviderKind, ResponseFormat, ToolCall } from '../../llm/types.ts';

export interface CallToolCall {
  id: string;
  name: string;
  /** The arguments parsed from the model's JSON text; the raw text itself when it does not parse. */
  arguments: unknown;
  /** Why the arguments are the raw text: they were not valid JSON. Null when they parsed. */
  argumentsError: string | null;
}

export interface CallAttempt {
  provider: ProviderKind;
  model: string;
  configurationId: string | null;
  ok: boolean;
  errorCode: string | null;
  latencyMs: number;
}

export interface CallResult {
  text: string;
  provider: ProviderKind;
  model: string;
  inputTokens: number | null;
  outputTokens: number | null;
  tokensUsed: number | null;
  /** Null when it cannot be known (tokens not reported, a model without a price): never 0 for unknown. */
  cost: string | null;
  latencyMs: number;
  finishReason: FinishReason;
  toolCalls: CallToolCall[];
  /** The answer parsed, for JSON response formats, when it is valid JSON. */
  json: unknown;
  /** Why `json` is null although a JSON format was asked: the answer was not valid JSON. */
  jsonError: string | null;
  cached: boolean;
  attempts: CallAttempt[];
}

export type CallStreamEvent = { delta: string; done: false } | { done: true; result: CallResult };

export function parsedToolCalls(calls: readonly ToolCall[]): CallToolCall[] {
  return calls.map((call) => {
    const parsed = parseJson(call.arguments);
    return parsed.ok
      ? { id: call.id, name: call.name, arguments: parsed.value, argumentsError: null }
      : { id: call.id, name: call.name, arguments: call.arguments, argumentsError: `The model's arguments are not valid JSON: ${parsed.reason}` };
  });
}

/** The answer as JSON when a JSON format was asked; otherwise nothing to report. */
export function parsedAnswer(text: string, format: ResponseFormat | undefined): { json: unknown; jsonError: string | null } {
  if (!format || format.type === 'text') return { json: null, jsonError: null };
  const parsed = parseJson(stripFences(text));
  if (!parsed.ok) return { json: null, jsonError: `The answer is not valid JSON: ${parsed.reason}` };
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    return { json: parsed.value, jsonError: 'The answer is JSON but not an object, as the response format asked.' };
  }
  return { json: parsed.value, jsonError: null };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message.slice(0, 200) };
  }
}

// Some models wrap JSON in a Markdown code fence even in JSON mode.
function stripFences(text: string): string {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return fenced ? fenced[1]! : text;
}
