// GitHub Copilot: the token exchange (GET /copilot_internal/v2/token, `Authorization: token
// <github token>`) in front of an OpenAI-compatible chat API at the root (/chat/completions).
// For Claude models Copilot answers a turn with text and tool calls in two choices, one each.
import { chatCompletionsRoute, openAiCompletion, type OpenAiCompletionBody } from './openai-compatible.fake.ts';
import { type Exchange, type FakeServer, startFakeHttpServer } from './fake-http-server.ts';

export const COPILOT_TOKEN_PATH = '/copilot_internal/v2/token';

export interface FakeCopilotServer extends FakeServer {
  readonly tokenUrl: string;
  /** Copilot tokens handed out so far, in order. */
  readonly issuedTokens: readonly string[];
  /** Lifetime of the tokens issued from now on, in seconds (reset() restores 1800). */
  setTokenLifetimeSeconds(seconds: number): void;
}

function requestField(exchange: Exchange, name: string): unknown {
  const { body } = exchange.request;
  return typeof body === 'object' && body !== null ? Reflect.get(body, name) : undefined;
}

/** The one choice's text and tool calls moved into two choices, as Copilot sends Claude's answers. */
function splitTextFromToolCalls(completion: OpenAiCompletionBody): OpenAiCompletionBody {
  const [choice] = completion.choices;
  if (!choice || !choice.message.content || !choice.message.tool_calls) return completion;
  const { tool_calls: toolCalls, ...textMessage } = choice.message;
  return {
    ...completion,
    choices: [
      { ...choice, message: textMessage },
      { ...choice, index: 1, message: { role: 'assistant', content: null, tool_calls: toolCalls } },
    ],
  };
}

function isClaudeAnswer(exchange: Exchange): boolean {
  const model = requestField(exchange, 'model');
  return typeof model === 'string' && model.startsWith('claude') && requestField(exchange, 'stream') !== true;
}

export async function startFakeCopilotServer(): Promise<FakeCopilotServer> {
  const issuedTokens: string[] = [];
  // Tokens stay valid across reset(), as a real server's would, even though the log is cleared.
  const validTokens = new Set<string>();
  const state = { tokenLifetimeSeconds: 1800 };
  let baseUrl = '';
  const server = await startFakeHttpServer([
    {
      method: 'GET',
      path: new RegExp(`^${COPILOT_TOKEN_PATH}$`),
      handle(exchange) {
        const authorization = exchange.request.headers.authorization ?? '';
        if (!/^token \S+$/.test(authorization)) {
          exchange.sendJson(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
          return;
        }
        const token = `fake-copilot-token-${issuedTokens.length + 1}-${Math.random().toString(36).slice(2)}`;
        issuedTokens.push(token);
        validTokens.add(token);
        exchange.sendJson(200, {
          token,
          expires_at: Math.floor(Date.now() / 1000) + state.tokenLifetimeSeconds,
          refresh_in: Math.max(0, state.tokenLifetimeSeconds - 300),
          endpoints: { api: baseUrl },
        });
      },
    },
    {
      ...chatCompletionsRoute,
      handle(exchange) {
        // Like the real API: only a Copilot token issued by the exchange is accepted.
        const bearer = exchange.request.headers.authorization?.replace(/^Bearer /, '');
        if (!bearer || !validTokens.has(bearer)) {
          exchange.sendJson(401, { error: { message: 'unauthorized: token expired or invalid' } });
          return;
        }
        if (isClaudeAnswer(exchange)) {
          exchange.sendJson(200, splitTextFromToolCalls(openAiCompletion(exchange)));
          return;
        }
        return chatCompletionsRoute.handle(exchange);
      },
    },
  ]);
  baseUrl = server.baseUrl;
  const reset = server.reset.bind(server);
  return Object.assign(server, {
    tokenUrl: `${server.baseUrl}${COPILOT_TOKEN_PATH}`,
    issuedTokens,
    setTokenLifetimeSeconds(seconds: number) {
      state.tokenLifetimeSeconds = seconds;
    },
    reset() {
      reset();
      issuedTokens.length = 0;
      state.tokenLifetimeSeconds = 1800;
    },
  });
}
