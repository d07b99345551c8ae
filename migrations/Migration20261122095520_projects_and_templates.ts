import { Migration } from '@mikro-orm/migrations';

export class Migration20261122095520_projects_and_templates extends Migration {

  override name = 'Migration20261122095520_projects_and_templates';

  override up(): void | Promise<void> {
    this.addSql(`create table "specs"."templates" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "slug" varchar(100) not null, "name" varchar(200) not null, "description" text not null default '', "category" varchar(100) not null, "specifications" jsonb not null, "files" jsonb not null, "built_in" boolean not null default false, primary key ("id"));`);
    this.addSql(`alter table "specs"."templates" add constraint "templates_slug_unique" unique ("slug");`);

    this.addSql(`create table "specs"."projects" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "owner_id" uuid not null, "name" varchar(200) not null, "description" text not null default '', "phase" text not null default 'PLANNING', "llm_provider" text null, "llm_model" varchar(200) null, "source_repo_url" varchar(500) null, "template_slug" varchar(100) null, primary key ("id"));`);
    this.addSql(`create index "projects_owner_id_created_at_index" on "specs"."projects" ("owner_id", "created_at");`);

    this.addSql(`create table "specs"."specifications" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "project_id" uuid not null, "category" varchar(100) not null, "key" varchar(200) not null, "value" text not null, "confidence" double precision not null default 1, "source" text not null default 'MANUAL', primary key ("id"));`);
    this.addSql(`alter table "specs"."specifications" add constraint "specifications_project_id_category_key_unique" unique ("project_id", "category", "key");`);

    this.addSql(`create table "specs"."code_files" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "project_id" uuid not null, "path" varchar(500) not null, "language" varchar(50) null, "content" text not null, primary key ("id"));`);
    this.addSql(`alter table "specs"."code_files" add constraint "code_files_project_id_path_unique" unique ("project_id", "path");`);

    this.addSql(`alter table "specs"."projects" add constraint "projects_owner_id_foreign" foreign key ("owner_id") references "auth"."users" ("id") on delete cascade;`);
    this.addSql(`alter table "specs"."projects" add constraint "projects_phase_check" check ("phase" in ('IDEA', 'PLANNING', 'DEVELOPMENT', 'TESTING', 'PRODUCTION', 'MAINTENANCE'));`);
    this.addSql(`alter table "specs"."projects" add constraint "projects_llm_provider_check" check ("llm_provider" in ('LOCAL', 'OPENAI', 'CLAUDE', 'GEMINI', 'COPILOT', 'GROK', 'OLLAMA', 'MISTRAL'));`);

    this.addSql(`alter table "specs"."specifications" add constraint "specifications_project_id_foreign" foreign key ("project_id") references "specs"."projects" ("id") on delete cascade;`);
    this.addSql(`alter table "specs"."specifications" add constraint "specifications_source_check" check ("source" in ('MANUAL', 'TEMPLATE', 'GITHUB_IMPORT', 'ANALYSIS'));`);

    this.addSql(`alter table "specs"."code_files" add constraint "code_files_project_id_foreign" foreign key ("project_id") references "specs"."projects" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "specs"."specifications" drop constraint "specifications_project_id_foreign";`);
    this.addSql(`alter table "specs"."code_files" drop constraint "code_files_project_id_foreign";`);

    this.addSql(`drop table if exists "specs"."templates" cascade;`);
    this.addSql(`drop table if exists "specs"."projects" cascade;`);
    this.addSql(`drop table if exists "specs"."specifications" cascade;`);
    this.addSql(`drop table if exists "specs"."code_files" cascade;`);
  }

}
