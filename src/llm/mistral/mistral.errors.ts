import { z } from 'zod';
import { outboundFailure } from '../driver-support.ts';
import { errorFromHttpStatus, errorFromTransport, ProviderCallError, type TransportContext } from '../errors.ts';
import { parseJsonText } from '../json-text.ts';
import { providerName } from '../provider-kinds.ts';
import { mistralSdk } from './mistral.sdk.ts';

const mistralErrorBodySchema = z.looseObject({ message: z.unknown().optional(), detail: z.unknown().optional() });

function providerMessage(body: string): string | undefined {
  const parsed = parseJsonText(mistralErrorBodySchema, body);
  const message = parsed?.message ?? parsed?.detail;
  if (message === undefined) return undefined;
  return typeof message === 'string' ? message : JSON.stringify(message);
}

/** The stream parser validates each event with zod and throws its error as is. */
function isSchemaError(error: unknown): boolean {
  return error instanceof Error && Array.isArray(Reflect.get(error, 'issues'));
}

export function fromMistralError(error: unknown, context: TransportContext): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const refused = outboundFailure('MISTRAL', error);
  if (refused) return refused;
  if (isSchemaError(error)) {
    // In a stream that began well, an event that is not a chunk is the server's error event.
    return new ProviderCallError({
      provider: 'MISTRAL',
      code: 'PROVIDER_ERROR',
      retryable: true,
      message: `${providerName('MISTRAL')} sent an event that is not a completion chunk (an error during the stream).`,
    });
  }
  // Before the SDK is loaded, no error can be one of its own.
  const errors = mistralSdk.loaded()?.errors;
  if (!errors) return errorFromTransport('MISTRAL', error, context);
  const { HTTPClientError, MistralError, RequestTimeoutError, ResponseValidationError, SDKValidationError } = errors;
  if (error instanceof ResponseValidationError || error instanceof SDKValidationError) {
    // Never pass the SDK's message on: it quotes the raw value, which may be the whole response.
    return new ProviderCallError({
      provider: 'MISTRAL',
      code: 'PROVIDER_ERROR',
      message: `${providerName('MISTRAL')} sent a response the SDK could not read.`,
    });
  }
  // MistralError keeps the Request it sent, Authorization header included: only its status,
  // headers and body are read here, and the error itself is never kept.
  if (error instanceof MistralError) {
    return errorFromHttpStatus(
      'MISTRAL',
      { status: error.statusCode, headers: error.headers, providerMessage: providerMessage(error.body), body: error.body },
      context.secrets,
    );
  }
  if (error instanceof HTTPClientError) {
    return errorFromTransport('MISTRAL', error.cause ?? error, { ...context, timedOut: error instanceof RequestTimeoutError });
  }
  return errorFromTransport('MISTRAL', error, context);
}
