import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ProProfs' target URLs are unique per tenant (its API answers 409), now by a unique index, so
 * two subscribes of the same URL on two registry replicas cannot both succeed (a read-then-insert
 * in the application could). Duplicates made before (by that race) stay, marked exempt: the
 * oldest of each URL keeps it, the others can still be unsubscribed.
 */
export class ProProfsUniqueTargetUrl1766000000000 implements MigrationInterface {
  name = 'ProProfsUniqueTargetUrl1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "registry"."subscriptions" ADD COLUMN url_unique_exempt boolean NOT NULL DEFAULT false`);
    await q.query(`
      UPDATE "registry"."subscriptions" s SET url_unique_exempt = true
       WHERE s.dialect = 'proprofs'
         AND EXISTS (SELECT 1 FROM "registry"."subscriptions" o
                      WHERE o.tenant_id = s.tenant_id AND o.dialect = 'proprofs' AND o.url = s.url AND o.external_id < s.external_id)`);
    await q.query(`
      CREATE UNIQUE INDEX subscriptions_proprofs_target_url ON "registry"."subscriptions" (tenant_id, url)
       WHERE dialect = 'proprofs' AND NOT url_unique_exempt`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "registry"."subscriptions_proprofs_target_url"`);
    await q.query(`ALTER TABLE "registry"."subscriptions" DROP COLUMN url_unique_exempt`);
  }
}

export const PROPROFS_MIGRATIONS = [ProProfsUniqueTargetUrl1766000000000];
