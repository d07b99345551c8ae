import { describe, expect, it } from 'vitest';
import { bearerToken, generateToken, hashToken, isWellFormedToken, tokenHint } from '../../src/modules/auth/token.ts';

describe('access tokens', () => {
  it('are prefixed, random and well formed', () => {
    const a = generateToken();
    const b = generateToken();
    expect(a).not.toBe(b);
    expect(a.startsWith('agora_')).toBe(true);
    expect(isWellFormedToken(a)).toBe(true);
    expect(isWellFormedToken(`${a}x`)).toBe(false);
    expect(isWellFormedToken('agora_short')).toBe(false);
  });

  it('hash to SHA-256 hex and hint at only their first characters', () => {
    const token = generateToken();
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).not.toContain(token.slice(6));
    // The form stored tokens were hashed in: a known vector (SHA-256 of "abc").
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(tokenHint(token)).toBe(token.slice(0, 10));
  });

  it('are read from a Bearer header only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});
