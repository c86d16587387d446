import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Columns every resource table has; (tenant_id, id) is unique so children can reference it per tenant. */
const COMMON = `
  "id" uuid PRIMARY KEY,
  "tenant_id" uuid NOT NULL REFERENCES "domain"."tenants" ("id"),
  "attributes" jsonb NOT NULL DEFAULT '{}',
  "created_by" uuid NOT NULL,
  "created_at" timestamptz NOT NULL,
  "updated_at" timestamptz NOT NULL,
  UNIQUE ("tenant_id", "id"),
  FOREIGN KEY ("tenant_id", "created_by") REFERENCES "domain"."users" ("tenant_id", "id")`;

const SCORED = `
  "name" text NOT NULL,
  "description" text,
  "start_date" timestamptz,
  "finish_date" timestamptz,
  "impact" double precision NOT NULL DEFAULT 0,
  "risk" double precision NOT NULL DEFAULT 0,
  "cost" double precision NOT NULL DEFAULT 0,
  "revenue" double precision NOT NULL DEFAULT 0,
  "efforts" double precision NOT NULL DEFAULT 0,
  "budget" double precision NOT NULL DEFAULT 0,
  "score" double precision NOT NULL DEFAULT 0,
  "alignment_score" double precision NOT NULL DEFAULT 0,
  "stage" int`;

const WORK_ITEM = `
  "project_id" uuid NOT NULL,
  "name" text NOT NULL,
  "description" text,
  "start_date" timestamptz,
  "due_date" timestamptz,
  "date_completed" timestamptz,
  "completed" boolean NOT NULL DEFAULT false,
  "progress" int NOT NULL DEFAULT 0 CHECK ("progress" BETWEEN 0 AND 100),
  "users" jsonb NOT NULL DEFAULT '[]'`;

/** A same-tenant reference: a row can only point at a row of its own tenant. */
const ref = (column: string, table: string) =>
  `FOREIGN KEY ("tenant_id", "${column}") REFERENCES "domain"."${table}" ("tenant_id", "id")`;

export class DomainResources1764000001000 implements MigrationInterface {
  name = 'DomainResources1764000001000';

  async up(q: QueryRunner): Promise<void> {
    const tables: Array<[string, string]> = [
      ['portfolios', `${COMMON}, "name" text NOT NULL, "description" text, "managers" jsonb NOT NULL DEFAULT '[]'`],
      [
        'programs',
        `${COMMON}, "name" text NOT NULL, "description" text, "portfolio_id" uuid,
         "managers" jsonb NOT NULL DEFAULT '[]', ${ref('portfolio_id', 'portfolios')}`,
      ],
      [
        'clients',
        `${COMMON}, "name" text NOT NULL, "contact_name" text, "email" text, "phone" text, "website" text,
         "address" text, "notes" text`,
      ],
      [
        'project_templates',
        `${COMMON}, "name" text NOT NULL, "description" text, "project_defaults" jsonb NOT NULL DEFAULT '{}',
         "tasks" jsonb NOT NULL DEFAULT '[]'`,
      ],
      [
        'projects',
        `${COMMON}, ${SCORED},
         "status" text NOT NULL DEFAULT 'active' CHECK ("status" IN ('active','on_hold','completed','archived')),
         "progress" int NOT NULL DEFAULT 0 CHECK ("progress" BETWEEN 0 AND 100),
         "priority" int NOT NULL DEFAULT 0,
         "number" int NOT NULL DEFAULT 0,
         "client_id" uuid, "portfolio_id" uuid, "program_id" uuid,
         "template_id" uuid, "parent_idea_id" uuid,
         "high_level_scope" text,
         "risks_status" int NOT NULL DEFAULT -1, "issues_status" int NOT NULL DEFAULT -1,
         "resources_status" int NOT NULL DEFAULT -1, "cost_status" int NOT NULL DEFAULT -1,
         "schedule_status" int NOT NULL DEFAULT -1, "overall_status" int NOT NULL DEFAULT -1,
         "reported_time" double precision NOT NULL DEFAULT 0, "planned_work" double precision NOT NULL DEFAULT 0,
         "managers" jsonb NOT NULL DEFAULT '[]',
         ${ref('client_id', 'clients')}, ${ref('portfolio_id', 'portfolios')}, ${ref('program_id', 'programs')}`,
      ],
      [
        'ideas',
        `${COMMON}, ${SCORED},
         "business_priority" int NOT NULL DEFAULT 0,
         "expected_efforts" double precision NOT NULL DEFAULT 0,
         "expected_cost" double precision NOT NULL DEFAULT 0,
         "tags" text[] NOT NULL DEFAULT '{}',
         "sponsor" jsonb, "submitter" jsonb, "challenge" jsonb,
         "child_project_id" uuid, "discussion_url" text,
         ${ref('child_project_id', 'projects')}`,
      ],
      [
        'tasks',
        `${COMMON}, ${WORK_ITEM},
         "status" int NOT NULL DEFAULT 0,
         "group" jsonb,
         "duration" double precision,
         "is_milestone" boolean NOT NULL DEFAULT false,
         "priority" int NOT NULL DEFAULT 0,
         "external" boolean NOT NULL DEFAULT false,
         "external_source" text, "external_id" text,
         ${ref('project_id', 'projects')}`,
      ],
      ['subtasks', `${COMMON}, ${WORK_ITEM}, "task_id" uuid NOT NULL, ${ref('project_id', 'projects')}, ${ref('task_id', 'tasks')}`],
      [
        'comments',
        `${COMMON}, "project_id" uuid NOT NULL, "task_id" uuid, "body" text NOT NULL, "author" jsonb NOT NULL,
         ${ref('project_id', 'projects')}, ${ref('task_id', 'tasks')}`,
      ],
      [
        'calendar_events',
        `${COMMON}, "title" text NOT NULL, "description" text, "start_at" timestamptz NOT NULL, "end_at" timestamptz,
         "all_day" boolean NOT NULL DEFAULT false, "location" text, "project_id" uuid,
         "users" jsonb NOT NULL DEFAULT '[]', ${ref('project_id', 'projects')}`,
      ],
      [
        'key_dates',
        `${COMMON},
         "parent_type" text NOT NULL CHECK ("parent_type" IN ('project','portfolio','program')),
         "parent_id" uuid NOT NULL,
         "project_id" uuid CHECK (("parent_type" = 'project') = ("project_id" IS NOT NULL)),
         "name" text NOT NULL, "type" int NOT NULL DEFAULT 0, "date" timestamptz NOT NULL,
         "is_complete" boolean NOT NULL DEFAULT false, "status" int NOT NULL DEFAULT 0, "description" text,
         "assigned_to" jsonb NOT NULL DEFAULT '[]', "show_on_timeline" boolean NOT NULL DEFAULT true,
         "external" boolean NOT NULL DEFAULT false,
         ${ref('project_id', 'projects')}`,
      ],
    ];
    for (const [table, columns] of tables) {
      await q.query(`CREATE TABLE "domain"."${table}" (${columns})`);
      // Lists page by (created_at, id) within a tenant.
      await q.query(`CREATE INDEX "${table}_page_idx" ON "domain"."${table}" ("tenant_id", "created_at", "id")`);
    }
    const filters: Array<[string, string]> = [
      ['programs', 'portfolio_id'],
      ['projects', 'client_id'],
      ['projects', 'portfolio_id'],
      ['projects', 'program_id'],
      ['ideas', 'child_project_id'],
      ['tasks', 'project_id'],
      ['subtasks', 'project_id'],
      ['subtasks', 'task_id'],
      ['comments', 'project_id'],
      ['comments', 'task_id'],
      ['calendar_events', 'project_id'],
      ['key_dates', 'project_id'],
      ['key_dates', 'parent_id'],
    ];
    for (const [table, column] of filters) {
      await q.query(`CREATE INDEX "${table}_${column}_idx" ON "domain"."${table}" ("tenant_id", "${column}", "created_at", "id")`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'key_dates',
      'calendar_events',
      'comments',
      'subtasks',
      'tasks',
      'ideas',
      'projects',
      'project_templates',
      'clients',
      'programs',
      'portfolios',
    ]) {
      await q.query(`DROP TABLE "domain"."${t}"`);
    }
  }
}
