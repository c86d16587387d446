import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The `200-or-204` success contract (HTTP 200 or 204: Procore's receiver contract). */
export class RegistrySuccessContract2001764200000001 implements MigrationInterface {
  name = 'RegistrySuccessContract2001764200000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE registry.subscriptions
        DROP CONSTRAINT IF EXISTS subscriptions_success_contract_check,
        ADD CONSTRAINT subscriptions_success_contract_check CHECK (success_contract IN ('2xx', 'status-ok', '200', '200-or-204'))
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE registry.subscriptions
        DROP CONSTRAINT IF EXISTS subscriptions_success_contract_check,
        ADD CONSTRAINT subscriptions_success_contract_check CHECK (success_contract IN ('2xx', 'status-ok', '200'))
    `);
  }
}
