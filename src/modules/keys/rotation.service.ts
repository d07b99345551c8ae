import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SecretBox } from '../../security/secret-box.ts';
import { IntelligenceProviderSchema } from '../providers/intelligence-provider.entity.ts';
import { providerKeyAad } from '../providers/providers.service.ts';
import { ApiKeySchema } from './api-key.entity.ts';
import { apiKeyAad } from './keys.service.ts';

export interface RotationReport {
  apiKeys: number;
  providerKeys: number;
  /** True when `limit` stopped the run before every secret was rotated (run again to resume). */
  incomplete: boolean;
}

export interface RotationOptions {
  batchSize?: number;
  /** Stop after this many secrets (to bound a maintenance window); the next run resumes. */
  limit?: number;
}

/**
 * Re-encrypts every stored secret (user keys and configuration keys) under the newest master key.
 * Each batch commits on its own and only rows still under an older version are picked, so an
 * interrupted run loses nothing and the next run resumes where it stopped.
 */
export async function rotateSecrets(em: EntityManager, box: SecretBox, options: RotationOptions = {}): Promise<RotationReport> {
  const batchSize = options.batchSize ?? 100;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const report: RotationReport = { apiKeys: 0, providerKeys: 0, incomplete: false };
  const budget = () => Math.min(batchSize, limit - report.apiKeys - report.providerKeys);

  while (budget() > 0) {
    const rotated = await em.fork().transactional(async (tx) => {
      const keys = await tx.find(
        ApiKeySchema,
        { keyVersion: { $ne: box.currentVersion } },
        { populate: ['ciphertext'], limit: budget(), orderBy: { id: 'asc' }, lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE },
      );
      for (const key of keys) {
        const aad = apiKeyAad(key, key.user.id);
        const sealed = box.seal(box.open({ ciphertext: key.ciphertext, keyVersion: key.keyVersion }, aad), aad);
        key.ciphertext = sealed.ciphertext;
        key.keyVersion = sealed.keyVersion;
      }
      return keys.length;
    });
    report.apiKeys += rotated;
    if (rotated === 0) break;
  }

  while (budget() > 0) {
    const rotated = await em.fork().transactional(async (tx) => {
      const rows = await tx.find(
        IntelligenceProviderSchema,
        { apiKeyVersion: { $ne: null, $nin: [box.currentVersion] } },
        { populate: ['apiKeyCiphertext'], limit: budget(), orderBy: { id: 'asc' }, lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE },
      );
      for (const row of rows) {
        const aad = providerKeyAad(row.id);
        const sealed = box.seal(box.open({ ciphertext: row.apiKeyCiphertext!, keyVersion: row.apiKeyVersion! }, aad), aad);
        row.apiKeyCiphertext = sealed.ciphertext;
        row.apiKeyVersion = sealed.keyVersion;
      }
      return rows.length;
    });
    report.providerKeys += rotated;
    if (rotated === 0) break;
  }

  const remaining =
    (await em.fork().count(ApiKeySchema, { keyVersion: { $ne: box.currentVersion } })) +
    (await em.fork().count(IntelligenceProviderSchema, { apiKeyVersion: { $ne: null, $nin: [box.currentVersion] } }));
  report.incomplete = remaining > 0;
  return report;
}
