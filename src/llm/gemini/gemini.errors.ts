import { z } from 'zod';
import { outboundFailure } from '../driver-support.ts';
import { errorFromHttpStatus, errorFromTransport, ProviderCallError, type TransportContext } from '../errors.ts';
import { parseJsonText } from '../json-text.ts';
import { providerName } from '../provider-kinds.ts';
import { parseDurationSeconds } from '../retry-after.ts';
import { geminiSdk } from './gemini.sdk.ts';

// The SDK's ApiError keeps no headers: its message is the JSON error body, sometimes prefixed.
const googleErrorSchema = z.object({
  error: z.object({
    message: z.string().optional(),
    details: z.array(z.looseObject({ retryDelay: z.string().optional(), reason: z.string().optional() })).optional(),
  }),
});

export function fromGeminiError(error: unknown, context: TransportContext): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const refused = outboundFailure('GEMINI', error);
  if (refused) return refused;
  // Before the SDK is loaded, no error can be one of its own.
  const ApiError = geminiSdk.loaded()?.ApiError;
  if (!ApiError || !(error instanceof ApiError)) return errorFromTransport('GEMINI', error, context);
  const start = error.message.indexOf('{');
  const body = start === -1 ? error.message : error.message.slice(start);
  const parsed = parseJsonText(googleErrorSchema, body)?.error;
  const details = parsed?.details ?? [];
  // Gemini answers a bad key with 400 INVALID_ARGUMENT and reason API_KEY_INVALID, not 401.
  if (details.some((detail) => detail.reason === 'API_KEY_INVALID')) {
    return new ProviderCallError({
      provider: 'GEMINI',
      code: 'API_KEY_REJECTED',
      statusCode: error.status,
      responseBody: body,
      secrets: context.secrets,
      message: `${providerName('GEMINI')} rejected the API key (HTTP ${error.status}). Check that the key is valid.`,
    });
  }
  // Quota errors say how long to wait in a google.rpc.RetryInfo detail rather than a header.
  const retryDelay = details.find((detail) => detail.retryDelay !== undefined)?.retryDelay;
  return errorFromHttpStatus(
    'GEMINI',
    {
      status: error.status,
      providerMessage: parsed?.message,
      body,
      retryAfterMs: retryDelay === undefined ? null : parseDurationSeconds(retryDelay),
    },
    context.secrets,
  );
}
