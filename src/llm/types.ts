// The one interface every provider driver implements. Types only: no runtime code lives here.

export type ProviderKind = 'LOCAL' | 'OPENAI' | 'CLAUDE' | 'GEMINI' | 'COPILOT' | 'GROK' | 'OLLAMA' | 'MISTRAL';

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

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  model: string;
  system?: string;
  prompt: string;
  maxTokens?: number;
  temperature?: number;
}

export interface TokenUsage {
  /** Null when the provider did not report it: never guessed as 0. */
  inputTokens: number | null;
  outputTokens: number | null;
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
}

export type StreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'finish'; model: string; usage: TokenUsage; finishReason: FinishReason }
  | { type: 'error'; error: import('./errors.ts').ProviderCallError };

export interface LlmDriver {
  readonly kind: ProviderKind;
  readonly defaultModel: string;
  readonly requiresApiKey: boolean;
  /** Rejects with a ProviderCallError only. Aborting `signal` aborts the upstream request. */
  generate(request: GenerateRequest, settings: DriverSettings, signal: AbortSignal): Promise<GenerateResult>;
  /**
   * Ends with exactly one `finish` or `error` part and never throws while iterated (the local
   * driver refuses at the call instead). Aborting `signal`, or stopping the iteration early,
   * aborts the upstream request.
   */
  stream(request: GenerateRequest, settings: DriverSettings, signal: AbortSignal): AsyncIterable<StreamPart>;
}
