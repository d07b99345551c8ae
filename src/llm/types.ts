// The one interface every provider driver implements. Types only: no runtime code lives here.

import type { ProviderKind } from './provider-kinds.ts';

export type { ProviderKind };

export interface DriverSettings {
  /** The secret used for this call (never logged, never part of an error). Null for key-less drivers. */
  apiKey: string | null;
  /** SDK root URL (see ARCHITECTURE: with /v1 for OpenAI-compatible APIs). Undefined: the driver's default. */
  baseUrl?: string;
  /** Copilot only: where a GitHub token is exchanged for a Copilot token. */
  tokenUrl?: string;
  /** Per-attempt timeout in milliseconds. */
  timeoutMs?: number;
}

/** A tool call as the model made it. `arguments` is the JSON text the model wrote, which may not parse. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * One turn of a conversation, provider-neutral. System text travels as `system` messages (the pipeline
 * puts a call's `system` first); drivers whose API has a top-level system field (Claude, Gemini) lift
 * every system message there.
 */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: readonly ToolCall[] }
  /** `name` is the called tool's, taken from the assistant message that made the call (Gemini needs it). */
  | { role: 'tool'; toolCallId: string; name: string; content: string };

export interface ToolDefinition {
  name: string;
  description?: string;
  /** A JSON Schema object (type "object"), validated before any driver sees it. */
  parameters: Record<string, unknown>;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown> };

export interface GenerateRequest {
  model: string;
  /** At least one message; the last is a user or tool message. */
  messages: readonly ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  /** Absent or empty: no tools offered. */
  tools?: readonly ToolDefinition[];
  toolChoice?: ToolChoice;
  /** Absent: text. */
  responseFormat?: ResponseFormat;
}

/** What a driver can map to its API; the pipeline refuses anything else before a request goes out. */
export interface DriverCapabilities {
  tools: boolean;
  /** `toolChoice: required` and naming one tool (`auto` and `none` come with `tools`). */
  forcedToolChoice: boolean;
  responseFormats: readonly ResponseFormat['type'][];
  /** False where the API cannot take tools and a JSON response format in one request (absent: it can). */
  toolsWithResponseFormat?: boolean;
}

export interface TokenUsage {
  /** Null when the provider did not report it: never guessed as 0. */
  inputTokens: number | null;
  outputTokens: number | null;
  /** Prompt tokens read from the provider's cache: a part of `inputTokens`. Absent when not reported. */
  cachedInputTokens?: number;
  /** Prompt tokens written to the provider's cache (Anthropic): a part of `inputTokens`. Absent when not reported. */
  cacheWriteInputTokens?: number;
  /** Tokens the model spent reasoning: a part of `outputTokens`. Absent when not reported. */
  reasoningTokens?: number;
}

export type FinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other' | 'unknown';

export interface GenerateResult {
  text: string;
  /**
   * The model id as requested (the catalogue id), not the dated snapshot a provider may report
   * (gpt-4o-mini-2024-07-18), so prices and usage buckets line up with the catalogue.
   */
  model: string;
  usage: TokenUsage;
  finishReason: FinishReason;
  /** Empty when the model called no tool. */
  toolCalls: ToolCall[];
}

export type StreamPart =
  | { type: 'text-delta'; text: string }
  /** A fragment of a tool call as it streams (optional for drivers); the finish part carries the whole calls. */
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'finish'; model: string; usage: TokenUsage; finishReason: FinishReason; toolCalls: ToolCall[] }
  | { type: 'error'; error: import('./errors.ts').ProviderCallError };

export interface LlmDriver {
  readonly kind: ProviderKind;
  readonly defaultModel: string;
  readonly requiresApiKey: boolean;
  readonly capabilities: DriverCapabilities;
  /** Rejects with a ProviderCallError only. Aborting `signal` aborts the upstream request. */
  generate(request: GenerateRequest, settings: DriverSettings, signal: AbortSignal): Promise<GenerateResult>;
  /**
   * Ends with exactly one `finish` or `error` part and never throws while iterated (the local
   * driver refuses at the call instead). Aborting `signal`, or stopping the iteration early,
   * aborts the upstream request.
   */
  stream(request: GenerateRequest, settings: DriverSettings, signal: AbortSignal): AsyncIterable<StreamPart>;
}
