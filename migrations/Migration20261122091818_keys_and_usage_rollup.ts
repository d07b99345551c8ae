import { Migration } from '@mikro-orm/migrations';

export class Migration20261122091818_keys_and_usage_rollup extends Migration {

  override name = 'Migration20261122091818_keys_and_usage_rollup';

  override up(): void | Promise<void> {
    this.addSql(`create table "specs"."usage_daily" ("id" bigserial primary key, "day" date not null, "user_id" uuid not null, "project_id" uuid null, "provider" text not null, "model" varchar(200) not null, "calls" bigint not null default '0', "input_tokens" bigint not null default '0', "output_tokens" bigint not null default '0', "cost" numeric(24,8) not null default '0', "unknown_cost_calls" bigint not null default '0');`);
    this.addSql(`create index "usage_daily_user_id_day_index" on "specs"."usage_daily" ("user_id", "day");`);
    this.addSql(`create index "usage_daily_day_index" on "specs"."usage_daily" ("day");`);
    this.addSql(`create unique index "usage_daily_bucket" on "specs"."usage_daily" ("day", "user_id", "project_id", "provider", "model") nulls not distinct;`);

    this.addSql(`create table "auth"."api_keys" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "user_id" uuid not null, "provider" text not null, "label" varchar(200) null, "ciphertext" text not null, "key_version" int not null, "hint" varchar(16) not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "api_keys_user_id_created_at_index" on "auth"."api_keys" ("user_id", "created_at");`);
    this.addSql(`create unique index "api_keys_one_live_per_provider" on "auth"."api_keys" ("user_id", "provider") where "revoked_at" is null;`);

    this.addSql(`alter table "specs"."usage_daily" add constraint "usage_daily_provider_check" check ("provider" in ('LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'));`);

    this.addSql(`alter table "auth"."api_keys" add constraint "api_keys_user_id_foreign" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;`);
    this.addSql(`alter table "auth"."api_keys" add constraint "api_keys_provider_check" check ("provider" in ('OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL', 'GITHUB'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "specs"."usage_daily" cascade;`);
    this.addSql(`drop table if exists "auth"."api_keys" cascade;`);
  }

}
