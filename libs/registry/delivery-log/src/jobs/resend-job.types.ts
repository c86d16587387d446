import { z } from 'zod';

export const RESEND_JOB_KINDS = ['replay', 'redrive'] as const;
export type ResendJobKind = (typeof RESEND_JOB_KINDS)[number];
export const RESEND_JOB_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type ResendJobState = (typeof RESEND_JOB_STATES)[number];

/** A redrive's position: per DLQ partition, the next offset to read and where to stop. */
export interface DlqRange {
  partition: number;
  /** Next offset to read. */
  from: string;
  /** One past the last offset to read: the high watermark when the job first ran. */
  to: string;
}

export type ResendJobCursor =
  | { kind: 'replay'; after: string | null }
  | { kind: 'redrive'; ranges: DlqRange[] };

/** A replay or DLQ redrive job, as stored. */
export interface ResendJob {
  id: string;
  tenantId: string;
  subscriptionId: string;
  kind: ResendJobKind;
  state: ResendJobState;
  /** Replay: events logged since then. */
  since: Date | null;
  /** Replay: and before then (the job's creation: it never replays its own output). */
  until: Date;
  cursor: ResendJobCursor | null;
  /** Redrive: DLQ offsets to scan in all (null until the first run fixed the ranges; replay: null). */
  total: number | null;
  /** Log rows (replay) or DLQ messages (redrive) looked at so far. */
  scanned: number;
  /** Deliveries produced again. */
  produced: number;
  /** Redrive: this hook's DLQ messages that are not deliveries (poison), left where they are. */
  skipped: number;
  /** 0..1: offsets scanned / total (redrive), time covered / window (replay). */
  progress: number;
  error: string | null;
  /** How many times a worker claimed it (more than 1: a worker died and another resumed it). */
  runs: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

/** How jobs run: read from the registry's environment, validated at start-up. */
export const ResendJobEnv = z.object({
  /** Deliveries a job produces per second at most (each job; a token-bucket pace). */
  HERALD_RESEND_RATE_PER_SEC: z.coerce.number().int().min(1).max(100_000).default(500),
  /** Deliveries per produce request at most. */
  HERALD_RESEND_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
  /** Bytes of bodies per produce request at most (one larger delivery goes alone). */
  HERALD_RESEND_BATCH_BYTES: z.coerce.number().int().min(1_024).max(900_000).default(512 * 1024),
  /** Jobs one registry process runs at once. */
  HERALD_RESEND_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /** How often an idle worker looks for a queued job (a POST also wakes its own process at once). */
  HERALD_RESEND_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /** Queued or running jobs one tenant may have at once (beyond: 429). */
  HERALD_RESEND_MAX_ACTIVE_PER_TENANT: z.coerce.number().int().min(1).max(1_000).default(10),
});

export interface ResendJobSettings {
  ratePerSec: number;
  batchSize: number;
  batchBytes: number;
  concurrency: number;
  pollMs: number;
  maxActivePerTenant: number;
  /** A running job whose worker has not been heard of for this long is taken over. */
  staleAfterMs: number;
}

export const RESEND_JOB_SETTINGS = Symbol('RESEND_JOB_SETTINGS');

export function resendJobSettings(env: z.infer<typeof ResendJobEnv>): ResendJobSettings {
  return {
    ratePerSec: env.HERALD_RESEND_RATE_PER_SEC,
    batchSize: env.HERALD_RESEND_BATCH_SIZE,
    batchBytes: env.HERALD_RESEND_BATCH_BYTES,
    concurrency: env.HERALD_RESEND_JOB_CONCURRENCY,
    pollMs: env.HERALD_RESEND_POLL_MS,
    maxActivePerTenant: env.HERALD_RESEND_MAX_ACTIVE_PER_TENANT,
    staleAfterMs: 30_000,
  };
}

export const DEFAULT_RESEND_JOB_SETTINGS: ResendJobSettings = resendJobSettings(ResendJobEnv.parse({}));
