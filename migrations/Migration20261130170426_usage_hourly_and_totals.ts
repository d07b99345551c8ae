import { Migration } from '@mikro-orm/migrations';

export class Migration20261130170426_usage_hourly_and_totals extends Migration {

  override name = 'Migration20261130170426_usage_hourly_and_totals';

  override up(): void | Promise<void> {
    this.addSql(`create table "specs"."usage_daily_totals" ("day" date not null, "provider" text not null, "model" varchar(200) not null, "calls" bigint not null default '0', "input_tokens" bigint not null default '0', "output_tokens" bigint not null default '0', "cost" numeric(24,8) not null default '0', "unknown_cost_calls" bigint not null default '0', primary key ("day", "provider", "model"));`);

    this.addSql(`create table "specs"."usage_hourly" ("id" bigserial primary key, "hour" timestamptz not null, "user_id" uuid not null, "project_id" uuid null, "provider" text not null, "model" varchar(200) not null, "calls" bigint not null default '0', "input_tokens" bigint not null default '0', "output_tokens" bigint not null default '0', "cost" numeric(24,8) not null default '0', "unknown_cost_calls" bigint not null default '0');`);
    this.addSql(`create index "usage_hourly_user_id_hour_index" on "specs"."usage_hourly" ("user_id", "hour");`);
    this.addSql(`create index "usage_hourly_project_id_hour_index" on "specs"."usage_hourly" ("project_id", "hour");`);
    this.addSql(`create unique index "usage_hourly_bucket" on "specs"."usage_hourly" ("hour", "user_id", "project_id", "provider", "model") nulls not distinct;`);

    this.addSql(`create index "usage_daily_project_id_day_index" on "specs"."usage_daily" ("project_id", "day");`);

    this.addSql(`create index "usage_records_created_at_index" on "specs"."usage_records" ("created_at");`);

    this.addSql(`alter table "specs"."usage_daily_totals" add constraint "usage_daily_totals_provider_check" check ("provider" in ('LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'));`);

    this.addSql(`alter table "specs"."usage_hourly" add constraint "usage_hourly_provider_check" check ("provider" in ('LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'));`);

    // The new rollups start equal to the rows already recorded (same sums as UsageService.record keeps).
    this.addSql(`insert into "specs"."usage_hourly" ("hour", "user_id", "project_id", "provider", "model", "calls", "input_tokens", "output_tokens", "cost", "unknown_cost_calls")
      select date_trunc('hour', "created_at", 'UTC'), "user_id", "project_id", "provider", "model", count(*),
             coalesce(sum("input_tokens"), 0), coalesce(sum("output_tokens"), 0), coalesce(sum("cost"), 0), count(*) filter (where "cost" is null)
      from "specs"."usage_records" group by 1, 2, 3, 4, 5;`);
    this.addSql(`insert into "specs"."usage_daily_totals" ("day", "provider", "model", "calls", "input_tokens", "output_tokens", "cost", "unknown_cost_calls")
      select "day", "provider", "model", sum("calls"), sum("input_tokens"), sum("output_tokens"), sum("cost"), sum("unknown_cost_calls")
      from "specs"."usage_daily" group by 1, 2, 3;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "specs"."usage_daily_totals" cascade;`);
    this.addSql(`drop table if exists "specs"."usage_hourly" cascade;`);

    this.addSql(`drop index "specs"."usage_daily_project_id_day_index";`);

    this.addSql(`drop index "specs"."usage_records_created_at_index";`);
  }

}
