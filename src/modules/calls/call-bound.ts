// The largest possible cost of a call, for budget reservations: input at most one token per byte of what
// is sent (a token is at least one byte) plus what chat templates add (role markers per message and a
// preamble: counted generously), output at most the call's maxTokens (else the configuration's, else the
// model's context window), at the model's catalogue prices.
import { costUpperBound } from '../../llm/catalogue.ts';
import { providerName } from '../../llm/provider-kinds.ts';
import type { GenerateRequest } from '../../llm/types.ts';
import type { CallBound } from '../budgets/budgets.ledger.ts';
import type { Route } from './call-router.ts';

const encoder = new TextEncoder();

/** Tokens a chat template may add: a preamble, and role and separator markers per message. */
const TEMPLATE_TOKENS = 64;
const TEMPLATE_TOKENS_PER_MESSAGE = 16;

/** The most input tokens the request can count. */
export function inputTokenBound(request: GenerateRequest): number {
  let bytes = 0;
  for (const message of request.messages) {
    bytes += encoder.encode(message.content).length;
    if (message.role === 'assistant') for (const call of message.toolCalls ?? []) bytes += encoder.encode(call.name + call.arguments).length;
  }
  if (request.tools?.length) bytes += encoder.encode(JSON.stringify(request.tools)).length;
  if (request.responseFormat?.type === 'json_schema') bytes += encoder.encode(JSON.stringify(request.responseFormat.schema)).length;
  return bytes + TEMPLATE_TOKENS + TEMPLATE_TOKENS_PER_MESSAGE * request.messages.length;
}

export function callBound(route: Route, request: GenerateRequest): CallBound {
  const name = `${providerName(route.kind)} ${route.model}`;
  const output = request.maxTokens ?? route.modelInfo?.contextWindow ?? null;
  if (output === null) return { maxCost: null, unbounded: `${name} has no known output limit: give maxTokens.` };
  const maxCost = costUpperBound(route.kind, route.model, { inputTokens: inputTokenBound(request), outputTokens: output }, new Date(), route.configuration?.config.prices);
  if (maxCost === null) return { maxCost: null, unbounded: `the catalogue has no price for ${name}.` };
  return { maxCost, unbounded: null };
}
