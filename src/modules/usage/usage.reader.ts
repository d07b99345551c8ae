import type { EntityManager } from '@mikro-orm/postgresql';
import { afterKeyset, groupedBy, idList } from '../../db/query.ts';
import { dimensionColumns, emptySummary, type SummaryRow, summaryAggregate, toSummary, type UsageBucket, type UsageSummary } from './usage-dimensions.ts';
import { planRange } from './usage-range.ts';
import type { UsageScope } from './usage-scope.ts';
import { MEASURES, pieceQuery, SETTLED_UNFOLDED, tagPieceQuery } from './usage-sources.ts';
import { type UsageRecord, UsageRecordSchema } from './usage-record.entity.ts';

/** Reads usage: summaries from the rollups (raw rows only where a range cuts through an hour), and raw rows. */
export class UsageReader {
  private readonly em: EntityManager;

  constructor(em: EntityManager) {
    this.em = em;
  }

  /**
   * Totals and buckets, summed exactly in SQL (numeric), in one statement. A [from, to) range is read in the
   * coarsest pieces that fit it (see planRange): whole UTC days from the daily rollup (everyone's from the
   * per-model totals), whole hours from the hourly rollup, only the partial hours from raw rows.
   */
  async summary(scope: UsageScope): Promise<UsageSummary> {
    const pieces = planRange(scope.from ?? null, scope.to ?? null);
    // An empty range sums nothing: no need to ask.
    if (!pieces.length) return emptySummary();
    const reads = pieces.map((piece) => pieceQuery(piece, scope));
    const { select, groupBy } = summaryAggregate();
    const rows = await this.em.execute<SummaryRow[]>(
      `with u as (${reads.map((read) => read.sql).join(' union all ')})
       select ${select} from u group by ${groupBy}`,
      reads.flatMap((read) => read.values),
    );
    return toSummary(rows);
  }

  /**
   * Calls, tokens and cost per tag over the scope, from the tag rollups (raw rows at the range's partial
   * hours). A call with several tags counts under each, so these buckets need not add up to the totals.
   */
  async tagBuckets(scope: UsageScope): Promise<UsageBucket[]> {
    const pieces = planRange(scope.from ?? null, scope.to ?? null);
    if (!pieces.length) return [];
    const reads = pieces.map((piece) => tagPieceQuery(piece, scope));
    const rows = await this.em.execute<{ key: string; calls: string; tokens: string; cost: string }[]>(
      `with u as (${reads.map((read) => read.sql).join(' union all ')})
       select tag as key, sum(calls)::text as calls, (sum(input_tokens) + sum(output_tokens))::text as tokens, sum(cost)::numeric(24, 8)::text as cost
       from u group by tag order by tag`,
      reads.flatMap((read) => read.values),
    );
    return rows.map((row) => ({ key: row.key, calls: Number(row.calls), tokens: Number(row.tokens), cost: row.cost }));
  }

  /** One summary per project, for lists (DataLoader): a single query over the daily rollup. */
  async summariesForProjects(projectIds: readonly string[]): Promise<UsageSummary[]> {
    const { select, groupBy } = summaryAggregate(['d.project_id']);
    // The daily rollup, and the settled calls not folded into it yet (read raw, as in pieceQuery).
    const ids = idList(projectIds);
    const rows = await this.em.execute<(SummaryRow & { project_id: string })[]>(
      `select ${select} from (
         select d.project_id, ${dimensionColumns('days', 'd')}, ${MEASURES.days} from specs.usage_daily d where d.project_id in (?)
         union all
         select r.project_id, ${dimensionColumns('raw', 'r')}, ${MEASURES.raw} from specs.usage_records r where r.project_id in (?) and ${SETTLED_UNFOLDED}
       ) d group by ${groupBy}`,
      [ids, ids],
    );
    return groupedBy(projectIds, rows, (row) => row.project_id).map(toSummary);
  }

  /** Raw usage rows, newest first, keyset-paginated on (created_at, id). */
  async records(scope: UsageScope, first: number, after: { createdAt: Date; id: string } | null): Promise<UsageRecord[]> {
    return this.em.find(
      UsageRecordSchema,
      {
        ...(scope.userIds ? { user: { $in: scope.userIds } } : {}),
        ...(scope.projectIds ? { projectId: { $in: scope.projectIds } } : {}),
        ...(scope.provider ? { provider: scope.provider } : {}),
        ...(scope.model ? { model: scope.model } : {}),
        ...(scope.from || scope.to ? { createdAt: { ...(scope.from ? { $gte: scope.from } : {}), ...(scope.to ? { $lt: scope.to } : {}) } } : {}),
        $and: afterKeyset(after),
      },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: first },
    );
  }
}
