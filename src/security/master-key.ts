import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SecretBox } from './secret-box.ts';

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

/**
 * Parses AGORA_ENCRYPTION_KEY: one base64 key of 32 bytes (version 1), or comma-separated
 * `version:base64` entries. Messages never include the key material.
 */
export function parseMasterKeys(value: string): Map<number, Buffer> {
  const keys = new Map<number, Buffer>();
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const [index, entry] of entries.entries()) {
    const match = /^(?:(\d{1,6}):)?([A-Za-z0-9+/=_-]+)$/.exec(entry);
    if (!match || (entries.length > 1 && !match[1])) {
      throw new MasterKeyError(
        `AGORA_ENCRYPTION_KEY entry ${index + 1} is malformed: use one base64 key, or "version:base64" entries separated by commas.`,
      );
    }
    const version = match[1] ? Number(match[1]) : 1;
    const key = Buffer.from(match[2]!, 'base64');
    if (key.length !== 32) {
      throw new MasterKeyError(`AGORA_ENCRYPTION_KEY version ${version} must decode to 32 bytes (it decodes to ${key.length}).`);
    }
    if (version < 1) throw new MasterKeyError('AGORA_ENCRYPTION_KEY versions start at 1.');
    if (keys.has(version)) throw new MasterKeyError(`AGORA_ENCRYPTION_KEY names version ${version} twice.`);
    keys.set(version, key);
  }
  if (keys.size === 0) throw new MasterKeyError('AGORA_ENCRYPTION_KEY is empty.');
  return keys;
}

/**
 * The SecretBox for this process. In production a missing key refuses the start; in development one is
 * generated once into the data directory (mode 0600) so stored secrets survive restarts.
 */
export async function loadSecretBox(options: { value: string | undefined; production: boolean; dataDir: string }): Promise<SecretBox> {
  if (options.value) return new SecretBox(parseMasterKeys(options.value));
  if (options.production) {
    throw new MasterKeyError(
      'AGORA_ENCRYPTION_KEY is required in production (one base64 key of 32 bytes). Generate one with: ' +
        `node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`,
    );
  }
  const file = join(options.dataDir, 'encryption-key');
  if (!existsSync(file)) {
    await mkdir(options.dataDir, { recursive: true });
    await writeFile(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await chmod(file, 0o600);
  }
  return new SecretBox(parseMasterKeys((await readFile(file, 'utf8')).trim()));
}
