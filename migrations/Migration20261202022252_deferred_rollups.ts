import { Migration } from '@mikro-orm/migrations';

export class Migration20261202022252_deferred_rollups extends Migration {

  override name = 'Migration20261202022252_deferred_rollups';

  override up(): void | Promise<void> {
    this.addSql(`alter table "specs"."usage_records" add "folded" boolean not null default false;`);
    // Every settled call so far was counted in the rollups by its own statement; calls in flight were not.
    this.addSql(`update "specs"."usage_records" set "folded" = true where "status" <> 'PENDING';`);
    this.addSql(`create index "usage_records_unfolded" on "specs"."usage_records" ("created_at") where not "folded";`);
  }

  override down(): void | Promise<void> {
    // The older code counts each call in the rollups as it is written: fold what is not counted yet first.
    for (const [table, bucket, keys] of [
      ['usage_hourly', `date_trunc('hour', created_at, 'UTC')`, 'hour, user_id, project_id, provider, model'],
      ['usage_daily', `(created_at at time zone 'UTC')::date`, 'day, user_id, project_id, provider, model'],
      ['usage_daily_totals', `(created_at at time zone 'UTC')::date`, 'day, provider, model'],
    ] as const) {
      const columns = keys.split(', ').slice(1).join(', ');
      this.addSql(`insert into "specs"."${table}" as d (${keys}, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
        select ${bucket}, ${columns}, count(*), sum(coalesce(input_tokens, 0)), sum(coalesce(output_tokens, 0)), sum(coalesce(cost, 0)),
               sum(case when cost is null then 1 else 0 end)
        from "specs"."usage_records" where not folded and status <> 'PENDING' group by 1, ${columns.split(', ').map((_, i) => i + 2).join(', ')}
        on conflict (${keys}) do update set calls = d.calls + excluded.calls, input_tokens = d.input_tokens + excluded.input_tokens,
          output_tokens = d.output_tokens + excluded.output_tokens, cost = d.cost + excluded.cost, unknown_cost_calls = d.unknown_cost_calls + excluded.unknown_cost_calls;`);
    }
    for (const [table, bucket, keys] of [
      ['usage_hourly_tags', `date_trunc('hour', created_at, 'UTC')`, 'hour, user_id, project_id, provider, model, tag'],
      ['usage_daily_tags', `(created_at at time zone 'UTC')::date`, 'day, user_id, project_id, provider, model, tag'],
    ] as const) {
      this.addSql(`insert into "specs"."${table}" as d (${keys}, calls, input_tokens, output_tokens, cost, unknown_cost_calls)
        select ${bucket}, user_id, project_id, provider, model, tag, count(*), sum(coalesce(input_tokens, 0)), sum(coalesce(output_tokens, 0)), sum(coalesce(cost, 0)),
               sum(case when cost is null then 1 else 0 end)
        from "specs"."usage_records", unnest(tags) as tag where not folded and status <> 'PENDING' group by 1, 2, 3, 4, 5, 6
        on conflict (${keys}) do update set calls = d.calls + excluded.calls, input_tokens = d.input_tokens + excluded.input_tokens,
          output_tokens = d.output_tokens + excluded.output_tokens, cost = d.cost + excluded.cost, unknown_cost_calls = d.unknown_cost_calls + excluded.unknown_cost_calls;`);
    }
    this.addSql(`drop index "specs"."usage_records_unfolded";`);
    this.addSql(`alter table "specs"."usage_records" drop column "folded";`);
  }

}
