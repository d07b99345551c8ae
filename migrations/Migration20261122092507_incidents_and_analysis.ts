import { Migration } from '@mikro-orm/migrations';

export class Migration20261122092507_incidents_and_analysis extends Migration {

  override name = 'Migration20261122092507_incidents_and_analysis';

  override up(): void | Promise<void> {
    this.addSql(`create table "specs"."incidents" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "owner_id" uuid not null, "title" varchar(300) not null, "description" text not null default '', "severity" text not null, "status" text not null default 'OPEN', "service" varchar(200) null, "source" varchar(200) null, "alerts" jsonb null, primary key ("id"));`);
    this.addSql(`create index "incidents_owner_id_created_at_index" on "specs"."incidents" ("owner_id", "created_at");`);

    this.addSql(`create table "specs"."analysis_runs" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "owner_id" uuid not null, "kind" text not null, "status" text not null default 'QUEUED', "progress" double precision not null default 0, "stage" varchar(60) not null default 'queued', "provider" text null, "model" varchar(200) null, "error" text null, "input" jsonb not null, "result" jsonb null, "incident_id" uuid null, "project_id" uuid null, "last_seq" int not null default 0, "attempts" int not null default 0, "job_id" varchar(64) null, "cancel_requested_at" timestamptz null, "started_at" timestamptz null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "analysis_runs_incident_id_index" on "specs"."analysis_runs" ("incident_id");`);
    this.addSql(`create index "analysis_runs_project_id_index" on "specs"."analysis_runs" ("project_id");`);
    this.addSql(`create index "analysis_runs_owner_id_created_at_index" on "specs"."analysis_runs" ("owner_id", "created_at");`);

    this.addSql(`create table "specs"."recommendations" ("id" uuid not null, "created_at" timestamptz not null, "incident_id" uuid not null, "run_id" uuid null, "type" varchar(40) not null, "title" varchar(300) not null, "description" text not null, "priority" text not null, "confidence" double precision not null, "actions" jsonb not null, "provider" text not null, "model" varchar(200) not null, "is_fallback" boolean not null default false, "position" int not null default 0, primary key ("id"));`);
    this.addSql(`create index "recommendations_incident_id_index" on "specs"."recommendations" ("incident_id");`);
    this.addSql(`create index "recommendations_run_id_index" on "specs"."recommendations" ("run_id");`);

    this.addSql(`create table "specs"."analysis_events" ("id" bigserial primary key, "run_id" uuid not null, "seq" int not null, "stage" varchar(60) not null, "message" text not null, "progress" double precision not null, "status" text not null, "delta" text null, "at" timestamptz not null);`);
    this.addSql(`alter table "specs"."analysis_events" add constraint "analysis_events_run_id_seq_unique" unique ("run_id", "seq");`);

    this.addSql(`alter table "specs"."incidents" add constraint "incidents_owner_id_foreign" foreign key ("owner_id") references "auth"."users" ("id") on delete cascade;`);
    this.addSql(`alter table "specs"."incidents" add constraint "incidents_severity_check" check ("severity" in ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW'));`);
    this.addSql(`alter table "specs"."incidents" add constraint "incidents_status_check" check ("status" in ('OPEN', 'ACKNOWLEDGED', 'RESOLVED', 'CLOSED'));`);

    this.addSql(`alter table "specs"."analysis_runs" add constraint "analysis_runs_owner_id_foreign" foreign key ("owner_id") references "auth"."users" ("id") on delete cascade;`);
    this.addSql(`alter table "specs"."analysis_runs" add constraint "analysis_runs_incident_id_foreign" foreign key ("incident_id") references "specs"."incidents" ("id") on delete cascade;`);
    this.addSql(`alter table "specs"."analysis_runs" add constraint "analysis_runs_kind_check" check ("kind" in ('INCIDENT_ANALYSIS', 'REPOSITORY_ANALYSIS', 'REPOSITORY_IMPORT'));`);
    this.addSql(`alter table "specs"."analysis_runs" add constraint "analysis_runs_status_check" check ("status" in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'));`);
    this.addSql(`alter table "specs"."analysis_runs" add constraint "analysis_runs_provider_check" check ("provider" in ('LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'));`);

    this.addSql(`alter table "specs"."recommendations" add constraint "recommendations_incident_id_foreign" foreign key ("incident_id") references "specs"."incidents" ("id") on delete cascade;`);
    this.addSql(`alter table "specs"."recommendations" add constraint "recommendations_run_id_foreign" foreign key ("run_id") references "specs"."analysis_runs" ("id") on delete set null;`);
    this.addSql(`alter table "specs"."recommendations" add constraint "recommendations_priority_check" check ("priority" in ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW'));`);
    this.addSql(`alter table "specs"."recommendations" add constraint "recommendations_provider_check" check ("provider" in ('LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'));`);

    this.addSql(`alter table "specs"."analysis_events" add constraint "analysis_events_run_id_foreign" foreign key ("run_id") references "specs"."analysis_runs" ("id") on delete cascade;`);
    this.addSql(`alter table "specs"."analysis_events" add constraint "analysis_events_status_check" check ("status" in ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "specs"."analysis_runs" drop constraint "analysis_runs_incident_id_foreign";`);
    this.addSql(`alter table "specs"."recommendations" drop constraint "recommendations_incident_id_foreign";`);
    this.addSql(`alter table "specs"."recommendations" drop constraint "recommendations_run_id_foreign";`);
    this.addSql(`alter table "specs"."analysis_events" drop constraint "analysis_events_run_id_foreign";`);

    this.addSql(`drop table if exists "specs"."incidents" cascade;`);
    this.addSql(`drop table if exists "specs"."analysis_runs" cascade;`);
    this.addSql(`drop table if exists "specs"."recommendations" cascade;`);
    this.addSql(`drop table if exists "specs"."analysis_events" cascade;`);
  }

}
