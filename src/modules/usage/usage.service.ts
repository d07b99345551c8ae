import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterKeyset, groupedBy, idList } from '../../db/query.ts';
import { AppError, badInput } from '../../errors.ts';
import type { ProviderKind } from '../../llm/types.ts';
import { type UsageRecord, UsageRecordSchema } from './usage-record.entity.ts';

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
  /** When the call happened; now by default. */
  at?: Date;
}

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

export interface UsageBucket {
  key: string;
  calls: number;
  tokens: number;
  cost: string;
}

export interface UsageSummary {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  totalCost: string;
  unknownCostCalls: number;
  byProvider: UsageBucket[];
  byModel: UsageBucket[];
  byDay: UsageBucket[];
}

export interface UsageFilter {
  projectId?: string | null;
  userId?: string | null;
  provider?: ProviderKind | null;
  model?: string | null;
  from?: Date | null;
  to?: Date | null;
}

export interface UsageViewer {
  id: string;
  role: 'ADMIN' | 'MEMBER';
}

/** Members read their own usage; admins anyone's (everyone's when no user is named). */
export function usageScope(viewer: UsageViewer, filter: UsageFilter = {}): UsageScope {
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

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Adds a new call's sums to a rollup bucket (`d`, the row in place; `excluded`, the call). */
const ADD_BUCKET = `calls = d.calls + 1,
  input_tokens = d.input_tokens + excluded.input_tokens,
  output_tokens = d.output_tokens + excluded.output_tokens,
  cost = d.cost + excluded.cost,
  unknown_cost_calls = d.unknown_cost_calls + excluded.unknown_cost_calls`;

export class UsageService {
  private readonly em: EntityManager;

  constructor(em: EntityManager) {
    this.em = em;
  }

  /**
   * Writes one usage row and folds it into the rollups (daily and hourly per user, project, provider and
   * model; daily for everyone per provider and model): one statement, so all of it happens or none, in a
   * single round trip. The rollups add the row as stored (cost rounded to the column's scale).
   */
  async record(entry: UsageEntry): Promise<void> {
    await this.em.execute(
      `with r as (
         insert into specs.usage_records
           (id, created_at, user_id, project_id, provider, model, input_tokens, output_tokens, cost, latency_ms, status, error_class, streamed, attempts)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         returning created_at, user_id, project_id, provider, model,
                   coalesce(input_tokens, 0) as input_tokens, coalesce(output_tokens, 0) as output_tokens,
                   coalesce(cost, 0) as cost, case when cost is null then 1 else 0 end as unknown_cost_calls
       ),
       hourly as (
         insert into specs.usage_hourly as d (hour, user_id, project_id, provider, model, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
         select date_trunc('hour', r.created_at, 'UTC'), r.user_id, r.project_id, r.provider, r.model, 1, r.input_tokens, r.output_tokens, r.cost, r.unknown_cost_calls
         from r
         on conflict (hour, user_id, project_id, provider, model) do update set ${ADD_BUCKET}
       ),
       totals as (
         insert into specs.usage_daily_totals as d (day, provider, model, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
         select (r.created_at at time zone 'UTC')::date, r.provider, r.model, 1, r.input_tokens, r.output_tokens, r.cost, r.unknown_cost_calls
         from r
         on conflict (day, provider, model) do update set ${ADD_BUCKET}
       )
       insert into specs.usage_daily as d (day, user_id, project_id, provider, model, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
       select (r.created_at at time zone 'UTC')::date, r.user_id, r.project_id, r.provider, r.model, 1, r.input_tokens, r.output_tokens, r.cost, r.unknown_cost_calls
       from r
       on conflict (day, user_id, project_id, provider, model) do update set ${ADD_BUCKET}`,
      [
        randomUUID(),
        (entry.at ?? new Date()).toISOString(),
        entry.userId,
        entry.projectId,
        entry.provider,
        entry.model.slice(0, 200),
        entry.inputTokens,
        entry.outputTokens,
        entry.cost,
        entry.latencyMs,
        entry.status,
        entry.errorClass?.slice(0, 40) ?? null,
        entry.streamed,
        entry.attempts,
      ],
    );
  }

  /** One summary per project, for lists (DataLoader): a single query over the rollup. */
  async summariesForProjects(projectIds: readonly string[]): Promise<UsageSummary[]> {
    const rows = await this.em.execute<(SummaryRow & { project_id: string })[]>(
      `select d.project_id, grouping(provider) as gp, grouping(model) as gm, grouping(day) as gd,
              provider, model, to_char(day, 'YYYY-MM-DD') as day,
              sum(calls)::text as calls, sum(input_tokens)::text as input_tokens, sum(output_tokens)::text as output_tokens,
              sum(cost)::numeric(24, 8)::text as cost, sum(unknown_cost_calls)::text as unknown_cost_calls
       from specs.usage_daily d
       where d.project_id in (?)
       group by grouping sets ((d.project_id), (d.project_id, provider), (d.project_id, model), (d.project_id, day))`,
      [idList(projectIds)],
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

  /**
   * Totals and buckets, summed exactly in SQL (numeric). A [from, to) range is read in the coarsest pieces
   * that fit it: whole UTC days from the daily rollup (everyone's from the per-model totals), whole hours
   * of the partial days at either end from the hourly rollup, and only the partial hours from raw rows.
   */
  async summary(scope: UsageScope): Promise<UsageSummary> {
    const parts: string[] = [];
    const values: unknown[] = [];
    const filters = (table: string, scoped: boolean) => {
      const clauses: string[] = [];
      if (scoped && scope.userIds) {
        clauses.push(`${table}.user_id in (?)`);
        values.push(scope.userIds);
      }
      if (scoped && scope.projectIds) {
        clauses.push(`${table}.project_id in (?)`);
        values.push(scope.projectIds);
      }
      if (scope.provider) {
        clauses.push(`${table}.provider = ?`);
        values.push(scope.provider);
      }
      if (scope.model) {
        clauses.push(`${table}.model = ?`);
        values.push(scope.model);
      }
      return clauses;
    };
    const bounded = (clauses: string[], column: string, from: Date | null, to: Date | null) => {
      if (from) {
        clauses.push(`${column} >= ?`);
        values.push(from.toISOString());
      }
      if (to) {
        clauses.push(`${column} < ?`);
        values.push(to.toISOString());
      }
      return clauses;
    };
    const wholeDays = (from: Date | null, to: Date | null) => {
      // Everyone's usage, in any project: the per-model totals, a few rows per day.
      const everyone = !scope.userIds && !scope.projectIds;
      const table = everyone ? 'specs.usage_daily_totals' : 'specs.usage_daily';
      const clauses = filters('d', !everyone);
      if (from) {
        clauses.push('d.day >= ?::date');
        values.push(isoDay(from));
      }
      if (to) {
        clauses.push('d.day < ?::date');
        values.push(isoDay(to));
      }
      parts.push(
        `select d.provider, d.model, d.day, d.calls, d.input_tokens, d.output_tokens, d.cost, d.unknown_cost_calls
         from ${table} d ${where(clauses)}`,
      );
    };
    const wholeHours = (from: Date, to: Date) => {
      const clauses = bounded(filters('h', true), 'h.hour', from, to);
      parts.push(
        `select h.provider, h.model, (h.hour at time zone 'UTC')::date as day, h.calls, h.input_tokens, h.output_tokens, h.cost, h.unknown_cost_calls
         from specs.usage_hourly h ${where(clauses)}`,
      );
    };
    const raw = (from: Date, to: Date) => {
      const clauses = bounded(filters('r', true), 'r.created_at', from, to);
      parts.push(
        `select r.provider, r.model, (r.created_at at time zone 'UTC')::date as day, 1 as calls,
                coalesce(r.input_tokens, 0) as input_tokens, coalesce(r.output_tokens, 0) as output_tokens,
                coalesce(r.cost, 0) as cost, case when r.cost is null then 1 else 0 end as unknown_cost_calls
         from specs.usage_records r ${where(clauses)}`,
      );
    };
    // Less than a day: whole hours from the hourly rollup, the rest from raw rows.
    const partOfDay = (from: Date, to: Date) => {
      const firstWholeHour = ceilTo(from, HOUR_MS);
      const endWholeHours = floorTo(to, HOUR_MS);
      if (endWholeHours <= firstWholeHour) return raw(from, to);
      if (from < firstWholeHour) raw(from, firstWholeHour);
      wholeHours(firstWholeHour, endWholeHours);
      if (endWholeHours < to) raw(endWholeHours, to);
    };

    const from = scope.from ?? null;
    const to = scope.to ?? null;
    if (from && to && to <= from) return emptySummary();
    const firstWholeDay = from ? ceilTo(from, DAY_MS) : null;
    const endWholeDays = to ? floorTo(to, DAY_MS) : null;
    if (firstWholeDay && endWholeDays && endWholeDays <= firstWholeDay) {
      partOfDay(from!, to!);
    } else {
      if (from && firstWholeDay && from < firstWholeDay) partOfDay(from, firstWholeDay);
      wholeDays(firstWholeDay, endWholeDays);
      if (to && endWholeDays && endWholeDays < to) partOfDay(endWholeDays, to);
    }

    const rows = await this.em.execute<SummaryRow[]>(
      `with u as (${parts.join(' union all ')})
       select grouping(provider) as gp, grouping(model) as gm, grouping(day) as gd,
              provider, model, to_char(day, 'YYYY-MM-DD') as day,
              coalesce(sum(calls), 0)::text as calls,
              coalesce(sum(input_tokens), 0)::text as input_tokens,
              coalesce(sum(output_tokens), 0)::text as output_tokens,
              coalesce(sum(cost), 0)::numeric(24, 8)::text as cost,
              coalesce(sum(unknown_cost_calls), 0)::text as unknown_cost_calls
       from u
       group by grouping sets ((), (provider), (model), (day))`,
      values,
    );
    return toSummary(rows);
  }
}

interface SummaryRow {
  gp: number;
  gm: number;
  gd: number;
  provider: string | null;
  model: string | null;
  day: string | null;
  calls: string;
  input_tokens: string;
  output_tokens: string;
  cost: string;
  unknown_cost_calls: string;
}

function where(clauses: string[]): string {
  return clauses.length ? `where ${clauses.join(' and ')}` : '';
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function floorTo(date: Date, unitMs: number): Date {
  return new Date(Math.floor(date.getTime() / unitMs) * unitMs);
}

function ceilTo(date: Date, unitMs: number): Date {
  return new Date(Math.ceil(date.getTime() / unitMs) * unitMs);
}

function emptySummary(): UsageSummary {
  return { calls: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0, totalCost: '0.00000000', unknownCostCalls: 0, byProvider: [], byModel: [], byDay: [] };
}

const byKey = (a: UsageBucket, b: UsageBucket) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function toSummary(rows: SummaryRow[]): UsageSummary {
  const summary = emptySummary();
  const bucket = (row: SummaryRow, key: string): UsageBucket => ({
    key,
    calls: Number(row.calls),
    tokens: Number(row.input_tokens) + Number(row.output_tokens),
    cost: row.cost,
  });
  for (const row of rows) {
    const [gp, gm, gd] = [Number(row.gp), Number(row.gm), Number(row.gd)];
    if (gp && gm && gd) {
      summary.calls = Number(row.calls);
      summary.inputTokens = Number(row.input_tokens);
      summary.outputTokens = Number(row.output_tokens);
      summary.totalTokens = summary.inputTokens + summary.outputTokens;
      summary.totalCost = row.cost;
      summary.unknownCostCalls = Number(row.unknown_cost_calls);
    } else if (!gp && row.provider !== null) summary.byProvider.push(bucket(row, row.provider));
    else if (!gm && row.model !== null) summary.byModel.push(bucket(row, row.model));
    else if (!gd && row.day !== null) summary.byDay.push(bucket(row, row.day));
  }
  // Sorted here rather than in SQL: a few hundred buckets sort faster in JS than behind the aggregate.
  for (const list of [summary.byProvider, summary.byModel, summary.byDay]) list.sort(byKey);
  return summary;
}
