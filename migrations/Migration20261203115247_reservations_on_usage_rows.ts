import { Migration } from '@mikro-orm/migrations';

export class Migration20261203115247_reservations_on_usage_rows extends Migration {

  override name = 'Migration20261203115247_reservations_on_usage_rows';

  // A call's budget reservation moves onto its PENDING usage row (no row of its own per call). Reservations
  // already in specs.budget_reservations stay there and are settled or swept as before.
  override up(): void | Promise<void> {
    this.addSql(`alter table "specs"."usage_records" add "reserved" numeric(24,8) null, add "budget_ids" uuid[] null;`);
  }

  override down(): void | Promise<void> {
    // The older code knows reservations only as rows of their own: give each call in flight its row back,
    // with the older code's time to live, so that it is settled or swept and no amount stays reserved.
    this.addSql(`insert into "specs"."budget_reservations" ("id", "budget_ids", "amount", "created_at", "expires_at")
      select "id", "budget_ids", "reserved", "created_at", now() + interval '1 hour' from "specs"."usage_records"
      where "status" = 'PENDING' and "reserved" is not null and "budget_ids" is not null;`);
    this.addSql(`alter table "specs"."usage_records" drop column "reserved", drop column "budget_ids";`);
  }

}
