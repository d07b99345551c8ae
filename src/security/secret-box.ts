import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// AES-256-GCM with a random 96-bit nonce; the additional authenticated data binds a ciphertext to its row,
// so a ciphertext copied to another row fails to decrypt instead of yielding someone else's secret.

export interface SealedSecret {
  /** base64 of nonce (12) | tag (16) | ciphertext */
  ciphertext: string;
  keyVersion: number;
}

export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';
}

export class SecretBox {
  private readonly keys: ReadonlyMap<number, Buffer>;
  readonly currentVersion: number;

  constructor(keys: ReadonlyMap<number, Buffer>) {
    if (keys.size === 0) throw new Error('SecretBox needs at least one key.');
    for (const [version, key] of keys) {
      if (key.length !== 32) throw new Error(`Encryption key version ${version} is not 32 bytes.`);
    }
    this.keys = keys;
    this.currentVersion = Math.max(...keys.keys());
  }

  seal(plaintext: string, associatedData: string): SealedSecret {
    const key = this.keys.get(this.currentVersion)!;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      ciphertext: Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64'),
      keyVersion: this.currentVersion,
    };
  }

  open(sealed: SealedSecret, associatedData: string): string {
    const key = this.keys.get(sealed.keyVersion);
    if (!key) {
      throw new SecretDecryptionError(
        `A stored secret was encrypted with key version ${sealed.keyVersion}, which AGORA_ENCRYPTION_KEY no longer holds.`,
      );
    }
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    if (raw.length < 29) throw new SecretDecryptionError('A stored secret is damaged and cannot be decrypted.');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError(
        'A stored secret failed its integrity check (tampered with, or moved from another record) and was not used.',
      );
    }
  }

  needsRotation(sealed: SealedSecret): boolean {
    return sealed.keyVersion !== this.currentVersion;
  }
}

/** Last four characters, the only part of a secret ever shown. */
export function secretHint(secret: string): string {
  return secret.length <= 8 ? '…' : `…${secret.slice(-4)}`;
}
