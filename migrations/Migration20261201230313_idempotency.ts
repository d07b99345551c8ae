import { Migration } from '@mikro-orm/migrations';

export class Migration20261201230313_idempotency extends Migration {

  override name = 'Migration20261201230313_idempotency';

  override up(): void | Promise<void> {
    this.addSql(`create table "specs"."idempotency_keys" ("user_id" uuid not null, "key" varchar(255) not null, "request_hash" varchar(64) not null, "result" jsonb null, "created_at" timestamptz not null, "expires_at" timestamptz not null, primary key ("user_id", "key"));`);
    this.addSql(`create index "idempotency_keys_expires_at_index" on "specs"."idempotency_keys" ("expires_at");`);

    this.addSql(`alter table "specs"."idempotency_keys" add constraint "idempotency_keys_user_id_foreign" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "specs"."idempotency_keys" cascade;`);
  }

}
