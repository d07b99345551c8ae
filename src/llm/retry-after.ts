// How long a provider asked us to wait, from its response headers. Null: it did not say.

type HeaderSource = Headers | Readonly<Record<string, string | undefined>> | null | undefined;

function header(headers: HeaderSource, name: string): string | null {
  if (!headers) return null;
  if (headers instanceof Headers) return headers.get(name);
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return entry?.[1] ?? null;
}

export function parseRetryAfter(headers: HeaderSource, now: number = Date.now()): number | null {
  // OpenAI and Anthropic send the precise value in milliseconds next to the standard header.
  const milliseconds = header(headers, 'retry-after-ms');
  if (milliseconds !== null && /^\s*\d+(\.\d+)?\s*$/.test(milliseconds)) {
    return Math.ceil(Number(milliseconds));
  }
  const value = header(headers, 'retry-after')?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** Google's `RetryInfo.retryDelay` is a protobuf Duration such as "30s" or "1.5s". */
export function parseDurationSeconds(value: string): number | null {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match?.[1] === undefined ? null : Math.ceil(Number(match[1]) * 1000);
}
