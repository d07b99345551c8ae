import { describe, expect, it } from 'vitest';
import { errorFromHttpStatus, errorFromTransport, ProviderCallError } from '../../../src/llm/errors.ts';
import { parseRetryAfter } from '../../../src/llm/retry-after.ts';
import { scrubSecrets } from '../../../src/llm/secret-scrubber.ts';

const KEY = 'sk-proj-abcdefghijklmnopqrstuvwxyz012345';

describe('errorFromHttpStatus', () => {
  const map = (status: number, extra: { body?: string; headers?: Record<string, string> } = {}) =>
    errorFromHttpStatus('OPENAI', { status, ...extra }, [KEY]);

  it.each([
    [400, 'BAD_REQUEST', false],
    [401, 'API_KEY_REJECTED', false],
    [403, 'API_KEY_REJECTED', false],
    [404, 'BAD_REQUEST', false],
    [408, 'TIMEOUT', true],
    [409, 'PROVIDER_ERROR', true],
    [422, 'BAD_REQUEST', false],
    [429, 'RATE_LIMITED', true],
    [500, 'PROVIDER_ERROR', true],
    [503, 'PROVIDER_ERROR', true],
    [529, 'PROVIDER_ERROR', true],
    [402, 'PROVIDER_ERROR', false],
  ] as const)('maps HTTP %i to %s (retryable: %s)', (status, code, retryable) => {
    expect(map(status)).toMatchObject({ code, retryable, statusCode: status, provider: 'OPENAI' });
  });

  it('says plainly that the key was rejected', () => {
    expect(map(401).message).toBe('OpenAI rejected the API key (HTTP 401). Check that the key is valid and allowed to use this model.');
  });

  it('does not retry a 429 that means the quota is gone', () => {
    expect(map(429, { body: '{"error":{"code":"insufficient_quota"}}' })).toMatchObject({ code: 'RATE_LIMITED', retryable: false });
  });

  it('takes the wait from Retry-After headers', () => {
    expect(map(429, { headers: { 'Retry-After': '7' } }).retryAfterMs).toBe(7000);
    expect(map(503, { headers: { 'retry-after-ms': '250' } }).retryAfterMs).toBe(250);
    expect(map(429).retryAfterMs).toBeNull();
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('reads seconds, fractional seconds and milliseconds', () => {
    expect(parseRetryAfter({ 'retry-after': '3' }, now)).toBe(3000);
    expect(parseRetryAfter({ 'retry-after': '1.5' }, now)).toBe(1500);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '120.4', 'retry-after': '9' }), now)).toBe(121);
  });

  it('reads an HTTP date relative to now, and a past date as no wait', () => {
    expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Jun 2025 12:00:30 GMT' }, now)).toBe(30_000);
    expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Jun 2025 11:00:00 GMT' }, now)).toBe(0);
  });

  it('ignores absent and malformed values', () => {
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeNull();
    expect(parseRetryAfter({ 'retry-after-ms': '-5' }, now)).toBeNull();
  });
});

describe('secret scrubbing', () => {
  it('removes the known key wherever it appears', () => {
    expect(scrubSecrets(`bad key ${KEY}!`, [KEY])).toBe('bad key [REDACTED]!');
  });

  it('removes bearer tokens and key-shaped strings it was not told about', () => {
    const text = 'Authorization: Bearer abc.def-123456789 and token ghp_0123456789abcdefABCDEF and sk-live_0123456789 and AIzaSyA0123456789abcdefghijklmnop';
    const scrubbed = scrubSecrets(text);
    expect(scrubbed).not.toMatch(/abc\.def|ghp_0123|sk-live|AIzaSy/);
    expect(scrubbed).toContain('Bearer [REDACTED]');
  });

  it('removes keys passed in URLs and JSON fields', () => {
    expect(scrubSecrets('GET /v1/models?key=secret-value-123&alt=sse')).toBe('GET /v1/models?key=[REDACTED]&alt=sse');
    expect(scrubSecrets('{"api_key": "plain-secret-1234"}')).toBe('{"api_key": "[REDACTED]"}');
  });
});

describe('ProviderCallError', () => {
  it('scrubs the message, the stack and the body it is given, and truncates the body', () => {
    const error = new ProviderCallError({
      provider: 'CLAUDE',
      code: 'PROVIDER_ERROR',
      message: `failed with ${KEY}`,
      responseBody: `${KEY}${'x'.repeat(5000)}`,
      secrets: [KEY],
    });
    for (const text of [error.message, error.stack ?? '', JSON.stringify(error), error.responseBody ?? '']) expect(text).not.toContain(KEY);
    expect(error.responseBody?.length).toBeLessThan(2100);
  });

  it('serializes to the fields the app needs and nothing else', () => {
    const error = new ProviderCallError({ provider: 'GROK', code: 'RATE_LIMITED', message: 'slow down', statusCode: 429, retryable: true, retryAfterMs: 1000 });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'ProviderCallError',
      code: 'RATE_LIMITED',
      provider: 'GROK',
      message: 'slow down',
      statusCode: 429,
      retryable: true,
      retryAfterMs: 1000,
    });
  });
});

describe('errorFromTransport', () => {
  const signal = () => new AbortController().signal;

  it('is ABORTED when the caller cancelled, whatever the SDK threw', () => {
    const controller = new AbortController();
    controller.abort();
    expect(errorFromTransport('GEMINI', new Error('boom'), { signal: controller.signal, secrets: [] }).code).toBe('ABORTED');
  });

  it('is a retryable TIMEOUT for an abort nobody asked for', () => {
    const abort = new DOMException('aborted', 'AbortError');
    expect(errorFromTransport('GEMINI', abort, { signal: signal(), secrets: [] })).toMatchObject({ code: 'TIMEOUT', retryable: true });
  });

  it('is a retryable PROVIDER_ERROR for a refused connection', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(errorFromTransport('OLLAMA', refused, { signal: signal(), secrets: [] })).toMatchObject({ code: 'PROVIDER_ERROR', retryable: true });
  });

  it('keeps the key out of an unexpected error message', () => {
    const error = errorFromTransport('OPENAI', new Error(`weird failure for ${KEY}`), { signal: signal(), secrets: [KEY] });
    expect(error.message).not.toContain(KEY);
    expect(error.retryable).toBe(false);
  });
});
