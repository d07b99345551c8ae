// Error text comes from providers and SDKs, which may echo request headers or URLs back to us.
// Everything that leaves src/llm in an error passes through here first.

const REDACTED = '[REDACTED]';

// Credentials we may not know by value (a key echoed back in part, a proxy quoting a header).
// Group 1, when present, is kept so the message still says where the secret was.
const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  /(\bBearer\s+)[A-Za-z0-9._~+/=:;-]{8,}/gi,
  // "token"/"Basic" also start plain sentences, so only long credential-like runs count.
  /(\b(?:token|Basic)\s+)[A-Za-z0-9._~+/=:;-]{16,}/gi,
  /([?&](?:key|api_key|apikey|access_token)=)[^&\s"']+/gi,
  /("?(?:api[_-]?key|authorization|x-api-key|x-goog-api-key)"?\s*[:=]\s*"?)(?!Bearer\b|token\b|Basic\b|\[REDACTED\])[^"\s,}]{6,}/gi,
  /\bsk-[A-Za-z0-9_-]{8,}/g,
  /\bxai-[A-Za-z0-9_-]{8,}/g,
  /\bAIza[0-9A-Za-z_-]{20,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{16,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{16,}/g,
  /\btid=[^\s"',]{8,}/g,
];

export function scrubSecrets(text: string, secrets: ReadonlyArray<string | null | undefined> = []): string {
  let result = text;
  for (const secret of secrets) {
    // Very short values would redact ordinary words; real keys are never that short.
    if (secret && secret.length >= 6) result = result.split(secret).join(REDACTED);
  }
  for (const pattern of CREDENTIAL_PATTERNS) {
    result = result.replace(pattern, (_match: string, kept: unknown) =>
      typeof kept === 'string' ? `${kept}${REDACTED}` : REDACTED,
    );
  }
  return result;
}
