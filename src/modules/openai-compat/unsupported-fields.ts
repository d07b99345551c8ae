// The Chat Completions request fields Agora does not carry to providers. Each is refused with a 400 that
// names it, unless it holds the value that asks for nothing (OpenAI's default): `n: 1` or `logprobs: false`
// change nothing, so clients that always send them keep working. `null` counts as absent everywhere.
// IGNORED_FIELDS are accepted and have no effect, because they change nothing about the answer.

interface Refusal {
  /** The values that ask for nothing beyond the default, accepted. */
  neutral?: (value: unknown) => boolean;
  why: string;
}

const isEmptyObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

export const REFUSED_FIELDS: Readonly<Record<string, Refusal>> = {
  n: { neutral: (value) => value === 1, why: 'Agora returns one choice: n must be 1.' },
  logprobs: { neutral: (value) => value === false, why: 'log probabilities are not available through Agora.' },
  top_logprobs: { why: 'log probabilities are not available through Agora.' },
  presence_penalty: { neutral: (value) => value === 0, why: 'penalties are not carried to providers.' },
  frequency_penalty: { neutral: (value) => value === 0, why: 'penalties are not carried to providers.' },
  top_p: { neutral: (value) => value === 1, why: 'use temperature instead.' },
  logit_bias: { neutral: isEmptyObject, why: 'token biases are provider-specific.' },
  seed: { why: 'seeded sampling is not carried to providers.' },
  stop: { neutral: (value) => Array.isArray(value) && value.length === 0, why: 'stop sequences are not carried to providers yet.' },
  parallel_tool_calls: { neutral: (value) => value === true, why: 'providers decide whether tool calls run in parallel.' },
  store: { neutral: (value) => value === false, why: 'Agora stores no completions.' },
  service_tier: { neutral: (value) => value === 'auto', why: 'service tiers are provider-specific.' },
  modalities: { neutral: (value) => Array.isArray(value) && value.every((modality) => modality === 'text'), why: 'Agora answers text only.' },
  audio: { why: 'Agora answers text only.' },
  prediction: { why: 'predicted outputs are not available through Agora.' },
  reasoning_effort: { why: 'reasoning settings are not carried to providers yet.' },
  verbosity: { why: 'verbosity is not carried to providers.' },
  web_search_options: { why: 'web search is not available through Agora.' },
  functions: { why: 'use tools (functions is deprecated).' },
  function_call: { why: 'use tool_choice (function_call is deprecated).' },
};

/**
 * Accepted and without effect: `user` and `safety_identifier` identify an end user to OpenAI's abuse
 * monitoring (Agora knows the caller from the token), `prompt_cache_key` is a caching hint, `metadata`
 * tags stored completions (Agora stores none). Also, in chat-request.shape.ts: an assistant message's
 * `annotations` (citations of an earlier answer, output only) and `stream_options.include_obfuscation`
 * (Agora's stream carries no obfuscation padding).
 */
export const IGNORED_FIELDS = ['user', 'safety_identifier', 'prompt_cache_key', 'metadata'] as const;

/** The first top-level field that asks for something Agora cannot do, with why; null when there is none. */
export function refusedField(body: Record<string, unknown>): { field: string; why: string } | null {
  for (const [field, refusal] of Object.entries(REFUSED_FIELDS)) {
    const value = body[field];
    if (value === undefined || value === null || refusal.neutral?.(value)) continue;
    return { field, why: refusal.why };
  }
  return null;
}
