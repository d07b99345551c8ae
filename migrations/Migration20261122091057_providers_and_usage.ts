import { Migration } from '@mikro-orm/migrations';

export class Migration20261122091057_providers_and_usage extends Migration {

  override name = 'Migration20261122091057_providers_and_usage';

  override up(): void | Promise<void> {
    this.addSql(`create schema if not exists "specs";`);
    this.addSql(`create table "specs"."intelligence_providers" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(120) not null, "provider" text not null, "config" jsonb not null, "api_key_ciphertext" text null, "api_key_version" int null, "api_key_hint" varchar(16) null, "is_active" boolean not null default false, "description" text not null default '', primary key ("id"));`);
    this.addSql(`alter table "specs"."intelligence_providers" add constraint "intelligence_providers_name_unique" unique ("name");`);
    this.addSql(`create index "intelligence_providers_provider_index" on "specs"."intelligence_providers" ("provider");`);
    this.addSql(`create unique index "intelligence_providers_one_active" on "specs"."intelligence_providers" ("is_active") where "is_active" = true;`);

    this.addSql(`create table "specs"."usage_records" ("id" uuid not null, "created_at" timestamptz not null, "user_id" uuid not null, "project_id" uuid null, "provider" text not null, "model" varchar(200) not null, "input_tokens" int null, "output_tokens" int null, "cost" numeric(20,8) null, "latency_ms" int not null, "status" text not null, "error_class" varchar(40) null, "streamed" boolean not null, "attempts" int not null default 1, primary key ("id"));`);
    this.addSql(`create index "usage_records_project_id_index" on "specs"."usage_records" ("project_id");`);
    this.addSql(`create index "usage_records_user_id_created_at_index" on "specs"."usage_records" ("user_id", "created_at");`);

    this.addSql(`alter table "specs"."intelligence_providers" add constraint "intelligence_providers_provider_check" check ("provider" in ('LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'));`);

    this.addSql(`alter table "specs"."usage_records" add constraint "usage_records_user_id_foreign" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;`);
    this.addSql(`alter table "specs"."usage_records" add constraint "usage_records_provider_check" check ("provider" in ('LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'));`);
    this.addSql(`alter table "specs"."usage_records" add constraint "usage_records_status_check" check ("status" in ('SUCCEEDED', 'FAILED', 'CANCELLED'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "specs"."intelligence_providers" cascade;`);
    this.addSql(`drop table if exists "specs"."usage_records" cascade;`);

    this.addSql(`drop schema if exists "specs";`);
  }

}
