import { outboundFailure } from '../driver-support.ts';
import { errorFromHttpStatus, errorFromTransport, ProviderCallError, type TransportContext, truncatedStreamError } from '../errors.ts';
import { providerName } from '../provider-kinds.ts';

/** The package does not export its ResponseError class, so it is recognized by shape. */
function responseErrorStatus(error: unknown): number | null {
  if (!(error instanceof Error) || error.name !== 'ResponseError') return null;
  const status: unknown = Reflect.get(error, 'status_code');
  return typeof status === 'number' ? status : null;
}

/** `responseHeaders`: the failed response's headers, which the SDK's error does not keep. */
export function fromOllamaError(error: unknown, context: TransportContext, responseHeaders?: Headers | null): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const refused = outboundFailure('OLLAMA', error);
  if (refused) return refused;
  const status = responseErrorStatus(error);
  if (status !== null && error instanceof Error) {
    if (status === 404) {
      // Ollama's most common failure: the model was never pulled on that server.
      return new ProviderCallError({
        provider: 'OLLAMA',
        code: 'BAD_REQUEST',
        statusCode: status,
        secrets: context.secrets,
        message: `${providerName('OLLAMA')} does not have that model (HTTP 404): ${error.message}. Pull it on the server first.`,
      });
    }
    return errorFromHttpStatus('OLLAMA', { status, headers: responseHeaders, providerMessage: error.message }, context.secrets);
  }
  if (!context.signal.aborted && error instanceof Error && error.message.startsWith('Did not receive done')) {
    return truncatedStreamError('OLLAMA');
  }
  return errorFromTransport('OLLAMA', error, context);
}
