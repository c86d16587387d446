import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  DELIVERIES_TABLE,
  DELIVERY_ATTEMPTS_TABLE,
  DELIVERY_LOG_SCHEMA,
  DLQ_REDRIVE_MARKS_TABLE,
  qualified,
} from '../delivery-log.constants';

/**
 * The delivery log: one row per delivery and one per attempt, both partitioned by day on
 * `created_at` so that the 28-day retention is a `DROP TABLE` of whole days, never a DELETE.
 * Partitions are created ahead (and old ones dropped) by `MaintainDeliveryLogPartitions`.
 *
 * `created_at` of a delivery is fixed when its first outcome is logged; its attempts carry the
 * same value, so a delivery and its attempts always sit in the same day's partitions and the
 * primary keys `(delivery_id, created_at)` / `(delivery_id, attempt, created_at)` are in
 * effect unique on `delivery_id` / `(delivery_id, attempt)`.
 */
export class CreateDeliveryLog1764000100000 implements MigrationInterface {
  name = 'CreateDeliveryLog1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS "${DELIVERY_LOG_SCHEMA}"`);
    await q.query(`
      CREATE TABLE ${qualified(DELIVERIES_TABLE)} (
        delivery_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        tenant_id text NOT NULL,
        subscription_id text NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('queued', 'retrying', 'delivered', 'failed', 'discarded')),
        -- queued 0 < retrying 1 < delivered/failed/discarded 2: a status only moves forward.
        status_rank smallint NOT NULL,
        origin text NOT NULL,
        attempt_count integer NOT NULL DEFAULT 0,
        last_attempt_at timestamptz,
        last_http_status integer,
        last_error_class text,
        next_attempt_at timestamptz,
        occurred_at timestamptz,
        queued_at timestamptz,
        body text,
        PRIMARY KEY (delivery_id, created_at)
      ) PARTITION BY RANGE (created_at)`);
    // The search path: one hook's deliveries, newest first (keyset pagination on created_at, id).
    await q.query(`
      CREATE INDEX deliveries_hook_created_idx ON ${qualified(DELIVERIES_TABLE)}
        (tenant_id, subscription_id, created_at DESC, delivery_id DESC)`);
    await q.query(`
      CREATE TABLE ${qualified(DELIVERY_ATTEMPTS_TABLE)} (
        delivery_id uuid NOT NULL,
        attempt integer NOT NULL,
        created_at timestamptz NOT NULL,
        tenant_id text NOT NULL,
        subscription_id text NOT NULL,
        status text NOT NULL,
        at timestamptz NOT NULL,
        http_status integer,
        duration_ms double precision,
        error_class text,
        error_message text,
        response_excerpt text,
        next_attempt_at timestamptz,
        PRIMARY KEY (delivery_id, attempt, created_at)
      ) PARTITION BY RANGE (created_at)`);
    await q.query(`
      CREATE TABLE ${qualified(DLQ_REDRIVE_MARKS_TABLE)} (
        subscription_id text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        next_offset bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (subscription_id, topic, partition)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ${qualified(DLQ_REDRIVE_MARKS_TABLE)}`);
    await q.query(`DROP TABLE IF EXISTS ${qualified(DELIVERY_ATTEMPTS_TABLE)}`);
    await q.query(`DROP TABLE IF EXISTS ${qualified(DELIVERIES_TABLE)}`);
  }
}
