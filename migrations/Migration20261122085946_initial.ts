import { Migration } from '@mikro-orm/migrations';

export class Migration20261122085946_initial extends Migration {

  override name = 'Migration20261122085946_initial';

  override up(): void | Promise<void> {
    this.addSql(`create schema if not exists "auth";`);
    this.addSql(`create schema if not exists "specs";`);
    this.addSql(`create table "auth"."users" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "email" varchar(320) not null, "name" varchar(200) null, "role" text not null default 'MEMBER', primary key ("id"));`);
    this.addSql(`alter table "auth"."users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(`create table "auth"."access_tokens" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "user_id" uuid not null, "token_hash" varchar(64) not null, "hint" varchar(16) not null, "name" varchar(200) null, "last_used_at" timestamptz null, "expires_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "access_tokens_user_id_index" on "auth"."access_tokens" ("user_id");`);
    this.addSql(`alter table "auth"."access_tokens" add constraint "access_tokens_token_hash_unique" unique ("token_hash");`);

    this.addSql(`alter table "auth"."users" add constraint "users_role_check" check ("role" in ('ADMIN', 'MEMBER'));`);

    this.addSql(`alter table "auth"."access_tokens" add constraint "access_tokens_user_id_foreign" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "auth"."access_tokens" drop constraint "access_tokens_user_id_foreign";`);

    this.addSql(`drop table if exists "auth"."users" cascade;`);
    this.addSql(`drop table if exists "auth"."access_tokens" cascade;`);

    this.addSql(`drop schema if exists "auth";`);
    this.addSql(`drop schema if exists "specs";`);
  }

}
