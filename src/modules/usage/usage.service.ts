import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ProviderKind } from '../../llm/types.ts';
import { UsageRecordSchema } from './usage-record.entity.ts';

export interface UsageEntry {
  userId: string;
  projectId: string | null;
  provider: ProviderKind;
  model: string;
  inputTokens: number | null;
  outputTokens: number | null;
  cost: string | null;
  latencyMs: number;
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  errorClass: string | null;
  streamed: boolean;
  attempts: number;
}

export class UsageService {
  private readonly em: EntityManager;

  constructor(em: EntityManager) {
    this.em = em;
  }

  /** Writes one usage row, in the caller's transaction when there is one. */
  async record(entry: UsageEntry): Promise<void> {
    // A native insert: usage rows are write-once, and the identity map has no use for them.
    await this.em.insert(UsageRecordSchema, {
      id: randomUUID(),
      user: entry.userId,
      projectId: entry.projectId,
      provider: entry.provider,
      model: entry.model.slice(0, 200),
      inputTokens: entry.inputTokens,
      outputTokens: entry.outputTokens,
      cost: entry.cost,
      latencyMs: entry.latencyMs,
      status: entry.status,
      errorClass: entry.errorClass?.slice(0, 40) ?? null,
      streamed: entry.streamed,
      attempts: entry.attempts,
      createdAt: new Date(),
    });
  }
}
