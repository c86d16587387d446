import { randomBytes } from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { DataSource } from 'typeorm';
import type { EncryptedValue } from '@herald/contracts';
import type { SecretBox } from '@herald/platform/crypto';
import { Schemas } from '@herald/platform/db';

const TABLE = `${Schemas.registry}.worksection_admin_keys`;

/**
 * Worksection's per-tenant admin API key. The admin API's check recomputes
 * md5(query + key), so the key must be recoverable: it is stored encrypted (AES-256-GCM under
 * HERALD_SECRETS_KEY, the tenant id as associated data), never hashed, never in clear.
 */
export class WorksectionAdminKeys1764300000000 implements MigrationInterface {
  name = 'WorksectionAdminKeys1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ${Schemas.registry}`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS ${TABLE} (
        tenant_id text PRIMARY KEY,
        admin_key jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        rotated_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ${TABLE}`);
  }
}

export const WORKSECTION_MIGRATIONS = [WorksectionAdminKeys1764300000000];

/** Reads and rotates the keys (used by the admin API and by the `worksection:admin-key` CLI). */
export class WorksectionAdminKeyStore {
  constructor(
    private readonly ds: DataSource,
    private readonly box: SecretBox,
  ) {}

  /** Creates or replaces the tenant's key; resolves with it in clear (shown once). */
  async rotate(tenantId: string, now = new Date()): Promise<string> {
    const key = randomBytes(16).toString('hex');
    const sealed = this.box.encrypt(key, `worksection-admin-key:${tenantId}`);
    await this.ds.query(
      `INSERT INTO ${TABLE} (tenant_id, admin_key, created_at, rotated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (tenant_id) DO UPDATE SET admin_key = EXCLUDED.admin_key, rotated_at = EXCLUDED.rotated_at`,
      [tenantId, JSON.stringify(sealed), now],
    );
    return key;
  }

  async find(tenantId: string): Promise<string | null> {
    const rows = (await this.ds.query(`SELECT admin_key FROM ${TABLE} WHERE tenant_id = $1`, [tenantId])) as { admin_key: EncryptedValue }[];
    return rows.length ? this.box.decrypt(rows[0].admin_key, `worksection-admin-key:${tenantId}`) : null;
  }
}
