import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { safeJsonReplacer, type DeliveryOutcome } from '@herald/contracts';
import { DELIVERIES_TABLE, DELIVERY_ATTEMPTS_TABLE, qualified } from './delivery-log.constants';
import { attemptKey, outcomeWrites } from './outcome-rows';
import { MaintainDeliveryLogPartitions } from './partitions/maintain-delivery-log-partitions';
import { recordAttemptStats } from './stats/delivery-stats';
import { addDays, retentionWindow } from './partitions/partition-days';
import { DELIVERY_LOG_SETTINGS, type DeliveryLogSettings } from './settings';

export interface RecordDeliveryOutcomesCommand {
  outcomes: readonly DeliveryOutcome[];
  /**
   * Runs inside the log's transaction with the outcomes whose attempt was logged for the first
   * time (duplicates and replays of an attempt are not in it). If it throws, nothing is logged,
   * so the caller can retry the batch and see the same attempts as new again.
   */
  onNewAttempts?: (attempts: DeliveryOutcome[]) => Promise<void>;
  now?: Date;
}

export interface RecordDeliveryOutcomesResult {
  deliveries: number;
  newAttempts: DeliveryOutcome[];
  /** Deliveries that became Failed (into the DLQ) with this batch: each counted once. */
  newlyFailed: number;
}

const DELIVERY_COLUMNS = `delivery_id uuid, at timestamptz, updated_at timestamptz, tenant_id text, subscription_id text,
  event_id text, event_type text, resource_type text, resource_id text, status text, status_rank smallint, origin text,
  attempt_count integer, last_attempt_at timestamptz, last_http_status integer, last_error_class text,
  next_attempt_at timestamptz, occurred_at timestamptz, queued_at timestamptz, body text`;

const ATTEMPT_COLUMNS = `delivery_id uuid, attempt integer, tenant_id text, subscription_id text, status text, at timestamptz,
  http_status integer, duration_ms double precision, error_class text, error_message text, response_excerpt text,
  next_attempt_at timestamptz`;

/**
 * One statement for a whole batch: finds which deliveries are already logged (and in which day
 * partition), upserts every delivery with the forward-only status rules, and inserts the
 * attempts that are not logged yet, returning those. A new delivery's `created_at` is its
 * `routedAt` (the earliest outcome time for an older producer's outcomes), kept inside the
 * retention window so its partition exists. Two writers that log the same new delivery at once
 * (the Queued consumer and the outcomes consumer; neither sees the other's uncommitted row in
 * `found`) therefore insert the same (delivery_id, created_at): the second waits for the first
 * and merges into its row through ON CONFLICT instead of adding a second row.
 */
const UPSERT_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${DELIVERY_COLUMNS})
),
found AS (
  SELECT d.delivery_id, min(d.created_at) AS created_at, max(d.status_rank) AS status_rank
    FROM ${qualified(DELIVERIES_TABLE)} d
   WHERE d.delivery_id IN (SELECT delivery_id FROM input)
   GROUP BY d.delivery_id
),
upserted AS (
  INSERT INTO ${qualified(DELIVERIES_TABLE)} AS d (
    delivery_id, created_at, updated_at, tenant_id, subscription_id, event_id, event_type, resource_type, resource_id,
    status, status_rank, origin, attempt_count, last_attempt_at, last_http_status, last_error_class, next_attempt_at,
    occurred_at, queued_at, body)
  SELECT i.delivery_id, COALESCE(f.created_at, LEAST(GREATEST(i.at, $3::timestamptz), $4::timestamptz)), i.updated_at,
         i.tenant_id, i.subscription_id, i.event_id, i.event_type, i.resource_type, i.resource_id,
         i.status, i.status_rank, i.origin, i.attempt_count, i.last_attempt_at, i.last_http_status, i.last_error_class,
         i.next_attempt_at, i.occurred_at, i.queued_at, i.body
    FROM input i LEFT JOIN found f USING (delivery_id)
  ON CONFLICT (delivery_id, created_at) DO UPDATE SET
    status = CASE WHEN EXCLUDED.status_rank > d.status_rank THEN EXCLUDED.status ELSE d.status END,
    status_rank = GREATEST(d.status_rank, EXCLUDED.status_rank),
    updated_at = GREATEST(d.updated_at, EXCLUDED.updated_at),
    origin = CASE WHEN EXCLUDED.queued_at IS NOT NULL AND d.queued_at IS NULL THEN EXCLUDED.origin
                  WHEN d.origin = 'event' THEN EXCLUDED.origin ELSE d.origin END,
    attempt_count = GREATEST(d.attempt_count, EXCLUDED.attempt_count),
    last_attempt_at = CASE WHEN EXCLUDED.attempt_count > d.attempt_count
                           THEN EXCLUDED.last_attempt_at ELSE d.last_attempt_at END,
    last_http_status = CASE WHEN EXCLUDED.attempt_count > d.attempt_count
                            THEN EXCLUDED.last_http_status ELSE d.last_http_status END,
    last_error_class = CASE WHEN EXCLUDED.attempt_count > d.attempt_count
                            THEN EXCLUDED.last_error_class ELSE d.last_error_class END,
    next_attempt_at = CASE WHEN GREATEST(d.status_rank, EXCLUDED.status_rank) = 2 THEN NULL
                           WHEN EXCLUDED.attempt_count > d.attempt_count
                           THEN EXCLUDED.next_attempt_at ELSE d.next_attempt_at END,
    occurred_at = COALESCE(d.occurred_at, EXCLUDED.occurred_at),
    queued_at = COALESCE(d.queued_at, EXCLUDED.queued_at),
    body = COALESCE(d.body, EXCLUDED.body)
  RETURNING d.delivery_id, d.created_at
),
attempt_input AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb) AS a(${ATTEMPT_COLUMNS})
),
inserted AS (
  INSERT INTO ${qualified(DELIVERY_ATTEMPTS_TABLE)} (
    delivery_id, attempt, created_at, tenant_id, subscription_id, status, at, http_status, duration_ms, error_class,
    error_message, response_excerpt, next_attempt_at)
  SELECT a.delivery_id, a.attempt, u.created_at, a.tenant_id, a.subscription_id, a.status, a.at, a.http_status,
         a.duration_ms, a.error_class, a.error_message, a.response_excerpt, a.next_attempt_at
    FROM attempt_input a JOIN upserted u USING (delivery_id)
  ON CONFLICT (delivery_id, attempt, created_at) DO NOTHING
  RETURNING delivery_id, attempt
)
SELECT 'attempt' AS kind, delivery_id::text AS delivery_id, attempt FROM inserted
UNION ALL
SELECT 'failed', i.delivery_id::text, 0 FROM input i LEFT JOIN found f USING (delivery_id)
 WHERE i.status = 'failed' AND COALESCE(f.status_rank, -1) < 2`;

/** Postgres: "no partition of relation … found for row". */
const NO_PARTITION = '23514';

/**
 * Logs delivery outcomes: idempotent (a duplicate or late outcome changes nothing it should
 * not), in any order, a whole consumer batch in one statement.
 */
@Injectable()
export class RecordDeliveryOutcomes {
  private readonly logger = new Logger(RecordDeliveryOutcomes.name);

  constructor(
    private readonly ds: DataSource,
    private readonly partitions: MaintainDeliveryLogPartitions,
    @Inject(DELIVERY_LOG_SETTINGS) private readonly settings: DeliveryLogSettings,
  ) {}

  async execute(cmd: RecordDeliveryOutcomesCommand): Promise<RecordDeliveryOutcomesResult> {
    if (cmd.outcomes.length === 0) return { deliveries: 0, newAttempts: [], newlyFailed: 0 };
    const now = cmd.now ?? new Date();
    try {
      return await this.write(cmd, now);
    } catch (e) {
      if ((e as { code?: string }).code !== NO_PARTITION) throw e;
      // The partition job has not run yet (first start) or fell behind: run it and try once more.
      this.logger.warn('delivery log partition missing; running partition maintenance now');
      await this.partitions.execute({ now });
      return this.write(cmd, now);
    }
  }

  private async write(
    cmd: RecordDeliveryOutcomesCommand,
    now: Date,
  ): Promise<RecordDeliveryOutcomesResult> {
    const writes = outcomeWrites(cmd.outcomes);
    const { firstDay, lastDay } = retentionWindow(
      now,
      this.settings.retentionDays,
      this.settings.daysAhead,
    );
    const windowEnd = new Date(addDays(lastDay, 1).getTime() - 1);
    return this.ds.transaction(async (em: EntityManager) => {
      const rows: { kind: 'attempt' | 'failed'; delivery_id: string; attempt: number }[] =
        await em.query(UPSERT_SQL, [
          // Every string made safe for jsonb (NUL and lone surrogates become U+FFFD): text from
          // receivers is sanitised by the sender already, this is the writer's own guarantee.
          JSON.stringify(writes.deliveries, safeJsonReplacer),
          JSON.stringify(writes.attempts, safeJsonReplacer),
          firstDay.toISOString(),
          windowEnd.toISOString(),
        ]);
      const newAttempts = rows
        .filter((r) => r.kind === 'attempt')
        .map((r) => writes.attemptOutcomes.get(attemptKey(r.delivery_id, r.attempt)))
        .filter((o): o is DeliveryOutcome => o !== undefined)
        .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.attempt - b.attempt);
      // The charts' per-minute rollup, in the same transaction: each attempt counted exactly once.
      if (newAttempts.length) await recordAttemptStats(em, newAttempts);
      if (cmd.onNewAttempts && newAttempts.length) await cmd.onNewAttempts(newAttempts);
      return {
        deliveries: writes.deliveries.length,
        newAttempts,
        newlyFailed: rows.filter((r) => r.kind === 'failed').length,
      };
    });
  }
}
