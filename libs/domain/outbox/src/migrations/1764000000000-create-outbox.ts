import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  OUTBOX_NOTIFY_CHANNEL,
  OUTBOX_PUBLICATION,
  OUTBOX_SCHEMA,
  OUTBOX_SLOT_STATE_TABLE,
  OUTBOX_TABLE,
} from '../outbox.constants';

/**
 * The transactional outbox: the table, the publication the logical relay streams (inserts
 * only, so deleting published rows produces no events), and the NOTIFY trigger that wakes the
 * polling relay at commit.
 */
export class CreateOutbox1764000000000 implements MigrationInterface {
  name = 'CreateOutbox1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS "${OUTBOX_SCHEMA}"`);
    await q.query(`
      CREATE TABLE ${OUTBOX_TABLE} (
        id uuid PRIMARY KEY,
        aggregate_key text NOT NULL,
        payload jsonb NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        seq bigint GENERATED ALWAYS AS IDENTITY
      )`);
    // The polling relay reads the oldest rows first; the sampler reads min(created_at).
    await q.query(`CREATE INDEX outbox_created_at_seq_idx ON ${OUTBOX_TABLE} (created_at, seq)`);
    await q.query(`
      CREATE TABLE ${OUTBOX_SLOT_STATE_TABLE} (
        slot_name text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        backfilled_at timestamptz
      )`);
    await q.query(`
      CREATE FUNCTION "${OUTBOX_SCHEMA}".outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${OUTBOX_NOTIFY_CHANNEL}', '');
        RETURN NULL;
      END $$`);
    // Per statement: one notification per insert statement, delivered only if it commits.
    await q.query(`
      CREATE TRIGGER outbox_notify AFTER INSERT ON ${OUTBOX_TABLE}
      FOR EACH STATEMENT EXECUTE FUNCTION "${OUTBOX_SCHEMA}".outbox_notify()`);
    await q.query(`CREATE PUBLICATION ${OUTBOX_PUBLICATION} FOR TABLE ${OUTBOX_TABLE} WITH (publish = 'insert')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP PUBLICATION IF EXISTS ${OUTBOX_PUBLICATION}`);
    await q.query(`DROP TRIGGER IF EXISTS outbox_notify ON ${OUTBOX_TABLE}`);
    await q.query(`DROP FUNCTION IF EXISTS "${OUTBOX_SCHEMA}".outbox_notify()`);
    await q.query(`DROP TABLE IF EXISTS ${OUTBOX_SLOT_STATE_TABLE}`);
    await q.query(`DROP TABLE IF EXISTS ${OUTBOX_TABLE}`);
  }
}
