import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DELIVERIES_TABLE, RESEND_JOBS_TABLE, qualified } from '../delivery-log.constants';

/**
 * Replay and DLQ redrive run as jobs (`resend_jobs`): the POST records one and answers 202, a
 * worker claims it (`FOR UPDATE SKIP LOCKED`, so replicas share the work) and moves its cursor
 * batch by batch. The partial unique index is the "one job per hook at a time" rule, enforced by
 * the database across replicas.
 *
 * The event index lets a replay page find "the first logged delivery of this event since
 * `since`" with an index probe per row instead of a DISTINCT ON over the whole window per page.
 */
export class ResendJobs1765000000000 implements MigrationInterface {
  name = 'ResendJobs1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ${qualified(RESEND_JOBS_TABLE)} (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        subscription_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('replay', 'redrive')),
        state text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
        since timestamptz,
        until timestamptz NOT NULL,
        cursor jsonb,
        total bigint,
        scanned bigint NOT NULL DEFAULT 0,
        produced bigint NOT NULL DEFAULT 0,
        skipped bigint NOT NULL DEFAULT 0,
        progress double precision NOT NULL DEFAULT 0,
        error text,
        runs integer NOT NULL DEFAULT 0,
        owner text,
        heartbeat_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE UNIQUE INDEX resend_jobs_one_active_per_hook ON ${qualified(RESEND_JOBS_TABLE)} (subscription_id)
        WHERE state IN ('queued', 'running')`);
    await q.query(`
      CREATE INDEX resend_jobs_hook_created_idx ON ${qualified(RESEND_JOBS_TABLE)} (tenant_id, subscription_id, created_at DESC)`);
    await q.query(`
      CREATE INDEX resend_jobs_claimable_idx ON ${qualified(RESEND_JOBS_TABLE)} (created_at)
        WHERE state IN ('queued', 'running')`);
    await q.query(`
      CREATE INDEX deliveries_hook_event_idx ON ${qualified(DELIVERIES_TABLE)}
        (tenant_id, subscription_id, event_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "registry"."deliveries_hook_event_idx"`);
    await q.query(`DROP TABLE IF EXISTS ${qualified(RESEND_JOBS_TABLE)}`);
  }
}
