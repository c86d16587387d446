import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operational events (`hook.disabled`, `hook.failing`, `hook.enabled`), written in the
 * transaction that changed the hook's status (an outbox: a crash after the commit never loses
 * one) and sent by `OperationalEventsRelay` to the tenant's operations hooks.
 */
export class RegistryOperationalEvents1765000000002 implements MigrationInterface {
  name = 'RegistryOperationalEvents1765000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "registry"."operational_events" (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        subscription_id uuid NOT NULL,
        type text NOT NULL,
        data jsonb NOT NULL,
        occurred_at timestamptz NOT NULL,
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX operational_events_pending_idx ON "registry"."operational_events" (occurred_at) WHERE published_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "registry"."operational_events"`);
  }
}
