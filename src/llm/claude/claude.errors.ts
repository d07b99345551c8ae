import { outboundFailure } from '../driver-support.ts';
import { errorFromHttpStatus, errorFromTransport, ProviderCallError, type TransportContext } from '../errors.ts';
import { providerName } from '../provider-kinds.ts';
import { claudeSdk } from './claude.sdk.ts';

export function fromClaudeError(error: unknown, context: TransportContext): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const refused = outboundFailure('CLAUDE', error);
  if (refused) return refused;
  // Before the SDK is loaded, no error can be one of its own.
  const sdk = claudeSdk.loaded();
  if (!sdk) return errorFromTransport('CLAUDE', error, context);
  const { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } = sdk;
  if (error instanceof APIUserAbortError) return errorFromTransport('CLAUDE', error, context);
  if (error instanceof APIConnectionTimeoutError) return errorFromTransport('CLAUDE', error, { ...context, timedOut: true });
  if (error instanceof APIConnectionError) return errorFromTransport('CLAUDE', error.cause ?? error, context);
  if (error instanceof APIError) {
    const body = error.error === undefined ? undefined : JSON.stringify(error.error);
    const providerMessage = error.apiMessage ?? undefined;
    if (error.status !== undefined) {
      return errorFromHttpStatus('CLAUDE', { status: error.status, headers: error.headers, providerMessage, body }, context.secrets);
    }
    // No status: an `error` event inside a stream that had started fine.
    const rateLimited = error.type === 'rate_limit_error';
    return new ProviderCallError({
      provider: 'CLAUDE',
      code: rateLimited ? 'RATE_LIMITED' : 'PROVIDER_ERROR',
      retryable: rateLimited || error.type === 'overloaded_error' || error.type === 'api_error',
      responseBody: body,
      secrets: context.secrets,
      message: `${providerName('CLAUDE')} reported an error during the stream: ${providerMessage ?? error.type ?? 'unknown error'}`,
    });
  }
  return errorFromTransport('CLAUDE', error, context);
}
