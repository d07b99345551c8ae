import type { Actor } from '../auth/actor.ts';
import type { ProviderKind } from '../../llm/types.ts';
import { AppError, badInput } from '../../errors.ts';

/** What a summary covers; `userIds` null means every user (admins only: the caller decides). */
export interface UsageScope {
  userIds: string[] | null;
  projectIds?: string[] | null;
  provider?: ProviderKind | null;
  model?: string | null;
  /** Inclusive. */
  from?: Date | null;
  /** Exclusive. */
  to?: Date | null;
}

export interface UsageFilter {
  projectId?: string | null;
  userId?: string | null;
  provider?: ProviderKind | null;
  model?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** Members read their own usage; admins anyone's (everyone's when no user is named). */
export function usageScope(viewer: Actor, filter: UsageFilter = {}): UsageScope {
  if (filter.userId && filter.userId !== viewer.id && viewer.role !== 'ADMIN') {
    throw new AppError('FORBIDDEN', "Only admins may read another user's usage.");
  }
  if (filter.from && filter.to && filter.to < filter.from) throw badInput('to must not be before from.', { field: 'to' });
  return {
    userIds: filter.userId ? [filter.userId] : viewer.role === 'ADMIN' ? null : [viewer.id],
    projectIds: filter.projectId ? [filter.projectId] : null,
    provider: filter.provider ?? null,
    model: filter.model ?? null,
    from: filter.from ?? null,
    to: filter.to ?? null,
  };
}
