import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The `200` success contract (exactly HTTP 200: ProProfs' receiver contract). */
export class RegistrySuccessContract1764200000000 implements MigrationInterface {
  name = 'RegistrySuccessContract1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE registry.subscriptions
        DROP CONSTRAINT IF EXISTS subscriptions_success_contract_check,
        ADD CONSTRAINT subscriptions_success_contract_check CHECK (success_contract IN ('2xx', 'status-ok', '200'))
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE registry.subscriptions
        DROP CONSTRAINT IF EXISTS subscriptions_success_contract_check,
        ADD CONSTRAINT subscriptions_success_contract_check CHECK (success_contract IN ('2xx', 'status-ok'))
    `);
  }
}
