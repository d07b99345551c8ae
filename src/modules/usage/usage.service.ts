import type { Actor } from '../auth/actor.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { UsageBucket, UsageSummary } from './usage-dimensions.ts';
import type { UsageRecord } from './usage-record.entity.ts';
import type { UsageScope } from './usage-scope.ts';
import { UsageReader } from './usage.reader.ts';
import { type UsageEntry, UsageWriter } from './usage.writer.ts';

// The module's types and functions, from where the rest of the code has always imported them.
export type { UsageBucket, UsageSummary } from './usage-dimensions.ts';
export { type UsageFilter, type UsageScope, usageScope } from './usage-scope.ts';
export type { UsageEntry } from './usage.writer.ts';

/**
 * Usage, written and read: the writer (UsageWriter, usage.writer.ts) and the reader (UsageReader,
 * usage.reader.ts) behind one object, for the callers that want both. It only delegates. Callers may take
 * the writer or the reader alone (the call path only writes; summaries and exports only read).
 */
export class UsageService {
  private readonly writer: UsageWriter;
  private readonly reader: UsageReader;

  constructor(em: EntityManager) {
    this.writer = new UsageWriter(em);
    this.reader = new UsageReader(em);
  }

  async record(entry: UsageEntry): Promise<void> {
    await this.writer.record(entry);
  }

  summariesForProjects(projectIds: readonly string[]): Promise<UsageSummary[]> {
    return this.reader.summariesForProjects(projectIds);
  }

  records(scope: UsageScope, first: number, after: { createdAt: Date; id: string } | null): Promise<UsageRecord[]> {
    return this.reader.records(scope, first, after);
  }

  summary(scope: UsageScope): Promise<UsageSummary> {
    return this.reader.summary(scope);
  }

  tagBuckets(scope: UsageScope): Promise<UsageBucket[]> {
    return this.reader.tagBuckets(scope);
  }
}
