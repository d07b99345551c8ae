import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretBox, MasterKeyError, parseMasterKeys } from '../../src/security/master-key.ts';
import { SecretBox, SecretDecryptionError, secretHint } from '../../src/security/secret-box.ts';

const keyA = Buffer.alloc(32, 1).toString('base64');
const keyB = Buffer.alloc(32, 2).toString('base64');

describe('SecretBox', () => {
  const box = new SecretBox(parseMasterKeys(keyA));

  it('round-trips a secret bound to its row, with a fresh nonce each time', () => {
    const first = box.seal('sk-secret', 'row:1');
    const second = box.seal('sk-secret', 'row:1');
    expect(first.ciphertext).not.toBe(second.ciphertext);
    expect(Buffer.from(first.ciphertext, 'base64').toString('latin1')).not.toContain('sk-secret');
    expect(box.open(first, 'row:1')).toBe('sk-secret');
  });

  it('refuses a ciphertext moved to another row, or tampered with', () => {
    const sealed = box.seal('sk-secret', 'row:1');
    expect(() => box.open(sealed, 'row:2')).toThrow(SecretDecryptionError);
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    expect(() => box.open({ ...sealed, ciphertext: bytes.toString('base64') }, 'row:1')).toThrow(/integrity/);
    expect(() => box.open({ ...sealed, ciphertext: 'AAAA' }, 'row:1')).toThrow(/damaged/);
  });

  it('encrypts with the newest version and decrypts every version it holds', () => {
    const old = box.seal('old-secret', 'row');
    const rotated = new SecretBox(parseMasterKeys(`1:${keyA},2:${keyB}`));
    expect(rotated.currentVersion).toBe(2);
    expect(rotated.open(old, 'row')).toBe('old-secret');
    expect(rotated.needsRotation(old)).toBe(true);
    const fresh = rotated.seal('new', 'row');
    expect(fresh.keyVersion).toBe(2);
    expect(() => box.open(fresh, 'row')).toThrow(/version 2/);
  });

  it('hints at only the last four characters', () => {
    expect(secretHint('sk-abcdefgh1234')).toBe('…1234');
    expect(secretHint('short')).toBe('…');
  });
});

describe('master keys', () => {
  it('parse one key or versioned entries, and refuse malformed ones without echoing them', () => {
    expect([...parseMasterKeys(keyA).keys()]).toEqual([1]);
    expect([...parseMasterKeys(`3:${keyA}, 7:${keyB}`).keys()]).toEqual([3, 7]);
    for (const bad of ['not base64!', Buffer.alloc(16).toString('base64'), `${keyA},${keyB}`, `1:${keyA},1:${keyB}`]) {
      try {
        parseMasterKeys(bad);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(MasterKeyError);
        expect((error as Error).message).not.toContain(keyA);
      }
    }
  });

  it('are required in production and generated once, mode 0600, in development', async () => {
    await expect(loadSecretBox({ value: undefined, production: true, dataDir: '/nonexistent' })).rejects.toThrow(/required in production/);
    const dir = await mkdtemp(join(tmpdir(), 'agora-key-'));
    try {
      const first = await loadSecretBox({ value: undefined, production: false, dataDir: dir });
      const file = join(dir, 'encryption-key');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const sealed = first.seal('kept', 'row');
      const second = await loadSecretBox({ value: undefined, production: false, dataDir: dir });
      expect(second.open(sealed, 'row')).toBe('kept');
      expect((await readFile(file, 'utf8')).trim()).toHaveLength(44);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
