import { Migration } from '@mikro-orm/migrations';

export class Migration20261201231124_rate_limits extends Migration {

  override name = 'Migration20261201231124_rate_limits';

  override up(): void | Promise<void> {
    this.addSql(`create table "specs"."rate_limit_windows" ("user_id" uuid not null, "window_start" timestamptz not null, "requests" int not null default 0, "tokens" bigint not null default '0', "admitted" boolean not null default true, primary key ("user_id", "window_start"));`);

    this.addSql(`alter table "auth"."users" add "rate_limit_rpm" int null, add "rate_limit_tpm" int null;`);

    this.addSql(`alter table "specs"."rate_limit_windows" add constraint "rate_limit_windows_user_id_foreign" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "specs"."rate_limit_windows" cascade;`);

    this.addSql(`alter table "auth"."users" drop column "rate_limit_rpm", drop column "rate_limit_tpm";`);
  }

}
