import { Migration } from '@mikro-orm/migrations';

export class Migration20261201225555_budgets extends Migration {

  override name = 'Migration20261201225555_budgets';

  override up(): void | Promise<void> {
    this.addSql(`create table "specs"."budget_reservations" ("id" uuid not null, "budget_ids" uuid[] not null, "amount" numeric(24,8) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "budget_reservations_expires_at_index" on "specs"."budget_reservations" ("expires_at");`);

    this.addSql(`create table "specs"."budgets" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "scope" text not null, "user_id" uuid null, "project_id" uuid null, "period" text not null, "limit_amount" numeric(24,8) not null, "spent" numeric(24,8) not null default '0', "reserved" numeric(24,8) not null default '0', "period_start" timestamptz not null, "warn_at" double precision null, "warned_at" timestamptz null, "allow_unpriced" boolean not null default false, primary key ("id"));`);
    this.addSql(`create unique index "budgets_one_per_target" on "specs"."budgets" ("scope", "user_id", "project_id", "period") nulls not distinct;`);

    this.addSql(`alter table "specs"."budgets" add constraint "budgets_user_id_foreign" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;`);
    this.addSql(`alter table "specs"."budgets" add constraint "budgets_project_id_foreign" foreign key ("project_id") references "specs"."projects" ("id") on delete cascade;`);
    this.addSql(`alter table "specs"."budgets" add constraint "budgets_scope_check" check ("scope" in ('GLOBAL', 'USER', 'PROJECT'));`);
    this.addSql(`alter table "specs"."budgets" add constraint "budgets_period_check" check ("period" in ('DAY', 'MONTH', 'TOTAL'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "specs"."budget_reservations" cascade;`);
    this.addSql(`drop table if exists "specs"."budgets" cascade;`);
  }

}
