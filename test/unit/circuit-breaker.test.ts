import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { LAST_ERROR_LENGTH, lastErrorOf } from '../../src/modules/providers/circuit-breaker.ts';

describe('circuit breaker settings', () => {
  it('defaults to 5 failures in 60 s and a 30 s cool-down, read from BREAKER_* variables', () => {
    expect(loadConfig({}).breaker).toEqual({ failureThreshold: 5, windowMs: 60_000, cooldownMs: 30_000 });
    expect(loadConfig({ BREAKER_FAILURES: '2', BREAKER_WINDOW_SECONDS: '10', BREAKER_COOLDOWN_SECONDS: '120' }).breaker).toEqual({
      failureThreshold: 2,
      windowMs: 10_000,
      cooldownMs: 120_000,
    });
  });

  it('refuses values that would make no breaker, naming the variable', () => {
    expect(() => loadConfig({ BREAKER_FAILURES: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ BREAKER_FAILURES: '0' })).toThrow(/BREAKER_FAILURES: expected at least 1/);
    expect(() => loadConfig({ BREAKER_WINDOW_SECONDS: '1.5' })).toThrow(/BREAKER_WINDOW_SECONDS: expected a whole number/);
    expect(() => loadConfig({ BREAKER_COOLDOWN_SECONDS: 'soon' })).toThrow(/BREAKER_COOLDOWN_SECONDS/);
  });

  it('documents every variable in .env.sample', () => {
    const sample = readFileSync(new URL('../../.env.sample', import.meta.url), 'utf8');
    for (const variable of ['BREAKER_FAILURES', 'BREAKER_WINDOW_SECONDS', 'BREAKER_COOLDOWN_SECONDS']) expect(sample).toMatch(new RegExp(`^${variable}=`, 'm'));
  });
});

describe('lastErrorOf', () => {
  it('keeps a short message as one line', () => {
    expect(lastErrorOf('  upstream answered 503\n  Service Unavailable ')).toBe('upstream answered 503 Service Unavailable');
  });

  it('cuts a long message to the column length, counting characters, not UTF-16 units', () => {
    const kept = lastErrorOf('😀'.repeat(LAST_ERROR_LENGTH + 10));
    expect([...kept]).toHaveLength(LAST_ERROR_LENGTH);
    expect(kept.endsWith('😀…')).toBe(true);
    expect(lastErrorOf('a'.repeat(LAST_ERROR_LENGTH))).toBe('a'.repeat(LAST_ERROR_LENGTH));
  });
});
