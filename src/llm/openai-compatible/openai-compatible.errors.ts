import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { outboundFailure } from '../driver-support.ts';
import { errorFromHttpStatus, errorFromTransport, ProviderCallError, type TransportContext } from '../errors.ts';
import { providerName } from '../provider-kinds.ts';
import type { ProviderKind } from '../types.ts';

function providerMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const message: unknown = Reflect.get(body, 'message');
  return typeof message === 'string' ? message : undefined;
}

export function fromOpenAiError(kind: ProviderKind, error: unknown, context: TransportContext): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const refused = outboundFailure(kind, error);
  if (refused) return refused;
  if (error instanceof APIUserAbortError) return errorFromTransport(kind, error, context);
  if (error instanceof APIConnectionTimeoutError) return errorFromTransport(kind, error, { ...context, timedOut: true });
  if (error instanceof APIConnectionError) return errorFromTransport(kind, error.cause ?? error, context);
  if (error instanceof APIError) {
    const body = error.error === undefined ? undefined : JSON.stringify(error.error);
    if (error.status !== undefined) {
      return errorFromHttpStatus(kind, { status: error.status, headers: error.headers, providerMessage: providerMessage(error.error), body }, context.secrets);
    }
    // No status: the server sent an error event inside a stream that had started fine.
    return new ProviderCallError({
      provider: kind,
      code: 'PROVIDER_ERROR',
      retryable: true,
      responseBody: body,
      secrets: context.secrets,
      message: `${providerName(kind)} reported an error during the stream: ${providerMessage(error.error) ?? error.message}`,
    });
  }
  return errorFromTransport(kind, error, context);
}
