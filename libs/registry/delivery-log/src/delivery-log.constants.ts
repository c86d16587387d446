import { Schemas } from '@herald/platform/db';

/** Where the delivery log lives: the registry's own schema. */
export const DELIVERY_LOG_SCHEMA = Schemas.registry;
export const DELIVERIES_TABLE = 'deliveries';
export const DELIVERY_ATTEMPTS_TABLE = 'delivery_attempts';
/** Per (subscription, DLQ partition): the next DLQ offset a redrive of that hook starts from. */
export const DLQ_REDRIVE_MARKS_TABLE = 'dlq_redrive_marks';
/** Both partitioned tables, each partitioned by day on `created_at`. */
export const PARTITIONED_TABLES = [DELIVERIES_TABLE, DELIVERY_ATTEMPTS_TABLE] as const;

export const qualified = (table: string): string => `"${DELIVERY_LOG_SCHEMA}"."${table}"`;
/** Replay and DLQ redrive jobs: one row per job, at most one queued or running per hook. */
export const RESEND_JOBS_TABLE = 'resend_jobs';
/** Per hook and minute: attempts by outcome and a latency histogram (the console's charts and the hooks list). */
export const DELIVERY_STATS_TABLE = 'delivery_stats_minute';
/** Per hook: its latest attempt (the hooks list's "last delivery"). */
export const HOOK_LAST_ATTEMPT_TABLE = 'hook_last_attempt';
/** How long the per-minute rollup is kept: the charts show 24 h. */
export const DELIVERY_STATS_RETENTION_MS = 2 * 86_400_000;
