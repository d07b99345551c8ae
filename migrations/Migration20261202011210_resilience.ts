import { Migration } from '@mikro-orm/migrations';

export class Migration20261202011210_resilience extends Migration {

  override name = 'Migration20261202011210_resilience';

  override up(): void | Promise<void> {
    this.addSql(`create table "specs"."provider_health" ("configuration_id" uuid not null, "state" text not null default 'CLOSED', "failures" int not null default 0, "window_started_at" timestamptz null, "opened_at" timestamptz null, "trial_at" timestamptz null, "last_error" varchar(300) null, "last_error_at" timestamptz null, "updated_at" timestamptz not null, primary key ("configuration_id"));`);

    this.addSql(`create unlogged table "specs"."response_cache" ("key" varchar(64) not null, "user_id" uuid null, "project_id" uuid null, "result" jsonb not null, "size_bytes" int not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, primary key ("key"));`);
    this.addSql(`create index "response_cache_project_id_index" on "specs"."response_cache" ("project_id");`);
    this.addSql(`create index "response_cache_created_at_index" on "specs"."response_cache" ("created_at");`);
    this.addSql(`create index "response_cache_expires_at_index" on "specs"."response_cache" ("expires_at");`);

    this.addSql(`alter table "specs"."intelligence_providers" add "fallback_ids" uuid[] not null default '{}';`);

    this.addSql(`alter table "specs"."usage_records" add "cached" boolean not null default false, add "saved_cost" numeric(20,8) null;`);

    this.addSql(`alter table "specs"."provider_health" add constraint "provider_health_configuration_id_foreign" foreign key ("configuration_id") references "specs"."intelligence_providers" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "specs"."provider_health" add constraint "provider_health_state_check" check ("state" in ('CLOSED', 'OPEN', 'HALF_OPEN'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "specs"."provider_health" cascade;`);
    this.addSql(`drop table if exists "specs"."response_cache" cascade;`);

    this.addSql(`alter table "specs"."intelligence_providers" drop column "fallback_ids";`);

    this.addSql(`alter table "specs"."usage_records" drop column "cached", drop column "saved_cost";`);
  }

}
