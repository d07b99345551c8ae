import { Migration } from '@mikro-orm/migrations';

export class Migration20261202013837_call_ledger extends Migration {

  override name = 'Migration20261202013837_call_ledger';

  override up(): void | Promise<void> {
    this.addSql(`alter table "specs"."usage_records" drop constraint "usage_records_status_check";`);
    this.addSql(`alter table "specs"."usage_records" add "deadline_at" timestamptz null;`);
    this.addSql(`create index "usage_records_pending" on "specs"."usage_records" ("deadline_at") where "status" = 'PENDING';`);
    this.addSql(`alter table "specs"."usage_records" add constraint "usage_records_status_check" check ("status" in ('PENDING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'ABORTED'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "specs"."usage_records_pending";`);
    this.addSql(`alter table "specs"."usage_records" drop constraint "usage_records_status_check";`);
    this.addSql(`alter table "specs"."usage_records" drop column "deadline_at";`);
    // The old statuses know no in-flight or abandoned calls: both read as cancelled.
    this.addSql(`update "specs"."usage_records" set "status" = 'CANCELLED' where "status" in ('PENDING', 'ABORTED');`);
    this.addSql(`alter table "specs"."usage_records" add constraint "usage_records_status_check" check ("status" in ('SUCCEEDED', 'FAILED', 'CANCELLED'));`);
  }

}
