import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DomainTenancy1764000000100 implements MigrationInterface {
  name = 'DomainTenancy1764000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "domain"."tenants" (
        "id" uuid PRIMARY KEY,
        "slug" text NOT NULL CHECK ("slug" ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        "domain" text NOT NULL,
        "name" text NOT NULL,
        "version" int NOT NULL DEFAULT 1,
        "published_version" int NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX "tenants_slug_uq" ON "domain"."tenants" ("slug")`);
    await q.query(`CREATE UNIQUE INDEX "tenants_domain_uq" ON "domain"."tenants" (lower("domain"))`);
    await q.query(`
      CREATE TABLE "domain"."users" (
        "id" uuid PRIMARY KEY,
        "tenant_id" uuid NOT NULL REFERENCES "domain"."tenants" ("id"),
        "full_name" text NOT NULL,
        "email" text NOT NULL,
        "active" boolean NOT NULL DEFAULT true,
        "is_admin" boolean NOT NULL DEFAULT false,
        "version" int NOT NULL DEFAULT 1,
        "published_version" int NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        UNIQUE ("tenant_id", "id")
      )`);
    await q.query(`CREATE UNIQUE INDEX "users_tenant_email_uq" ON "domain"."users" ("tenant_id", lower("email"))`);
    await q.query(`
      CREATE TABLE "domain"."api_keys" (
        "id" uuid PRIMARY KEY,
        "tenant_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "key_id" text NOT NULL,
        "hash" text NOT NULL CHECK ("hash" ~ '^[0-9a-f]{64}$'),
        "scopes" text[] NOT NULL CHECK ("scopes" <@ ARRAY['read','write','webhooks','administrative']::text[]),
        "label" text,
        "revoked_at" timestamptz,
        "version" int NOT NULL DEFAULT 1,
        "published_version" int NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY ("tenant_id", "user_id") REFERENCES "domain"."users" ("tenant_id", "id")
      )`);
    await q.query(`CREATE UNIQUE INDEX "api_keys_key_id_uq" ON "domain"."api_keys" ("key_id")`);
    await q.query(`CREATE INDEX "api_keys_tenant_user_idx" ON "domain"."api_keys" ("tenant_id", "user_id")`);
    // The republisher's scan: only dirty rows are indexed, so the index stays tiny.
    for (const t of ['tenants', 'users', 'api_keys']) {
      await q.query(`CREATE INDEX "${t}_unpublished_idx" ON "domain"."${t}" ("updated_at") WHERE "published_version" < "version"`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "domain"."api_keys"`);
    await q.query(`DROP TABLE "domain"."users"`);
    await q.query(`DROP TABLE "domain"."tenants"`);
  }
}
