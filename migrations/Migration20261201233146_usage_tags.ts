import { Migration } from '@mikro-orm/migrations';

export class Migration20261201233146_usage_tags extends Migration {

  override name = 'Migration20261201233146_usage_tags';

  override up(): void | Promise<void> {
    this.addSql(`create table "specs"."usage_daily_tags" ("id" bigserial primary key, "user_id" uuid not null, "project_id" uuid null, "provider" text not null, "model" varchar(200) not null, "day" date not null, "tag" varchar(64) not null, "calls" bigint not null default '0', "input_tokens" bigint not null default '0', "output_tokens" bigint not null default '0', "cost" numeric(24,8) not null default '0', "unknown_cost_calls" bigint not null default '0');`);
    this.addSql(`create index "usage_daily_tags_user_id_day_index" on "specs"."usage_daily_tags" ("user_id", "day");`);
    this.addSql(`create index "usage_daily_tags_project_id_day_index" on "specs"."usage_daily_tags" ("project_id", "day");`);
    this.addSql(`create index "usage_daily_tags_day_index" on "specs"."usage_daily_tags" ("day");`);
    this.addSql(`create unique index "usage_daily_tags_bucket" on "specs"."usage_daily_tags" ("day", "user_id", "project_id", "provider", "model", "tag") nulls not distinct;`);

    this.addSql(`create table "specs"."usage_hourly_tags" ("id" bigserial primary key, "user_id" uuid not null, "project_id" uuid null, "provider" text not null, "model" varchar(200) not null, "hour" timestamptz not null, "tag" varchar(64) not null, "calls" bigint not null default '0', "input_tokens" bigint not null default '0', "output_tokens" bigint not null default '0', "cost" numeric(24,8) not null default '0', "unknown_cost_calls" bigint not null default '0');`);
    this.addSql(`create index "usage_hourly_tags_user_id_hour_index" on "specs"."usage_hourly_tags" ("user_id", "hour");`);
    this.addSql(`create index "usage_hourly_tags_project_id_hour_index" on "specs"."usage_hourly_tags" ("project_id", "hour");`);
    this.addSql(`create unique index "usage_hourly_tags_bucket" on "specs"."usage_hourly_tags" ("hour", "user_id", "project_id", "provider", "model", "tag") nulls not distinct;`);

    this.addSql(`alter table "specs"."usage_records" add "tags" text[] not null default '{}';`);

    this.addSql(`alter table "specs"."usage_daily_tags" add constraint "usage_daily_tags_provider_check" check ("provider" in ('LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'));`);

    this.addSql(`alter table "specs"."usage_hourly_tags" add constraint "usage_hourly_tags_provider_check" check ("provider" in ('LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "specs"."usage_daily_tags" cascade;`);
    this.addSql(`drop table if exists "specs"."usage_hourly_tags" cascade;`);

    this.addSql(`alter table "specs"."usage_records" drop column "tags";`);
  }

}
