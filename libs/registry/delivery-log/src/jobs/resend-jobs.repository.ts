import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { safeTruncate } from '@herald/contracts';
import { RESEND_JOBS_TABLE, qualified } from '../delivery-log.constants';
import type { ResendJob, ResendJobCursor, ResendJobKind, ResendJobState } from './resend-job.types';

interface JobRow {
  id: string;
  tenant_id: string;
  subscription_id: string;
  kind: ResendJobKind;
  state: ResendJobState;
  since: Date | null;
  until: Date;
  cursor: ResendJobCursor | null;
  total: string | null;
  scanned: string;
  produced: string;
  skipped: string;
  progress: number;
  error: string | null;
  runs: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

const T = qualified(RESEND_JOBS_TABLE);
const COLUMNS = `id::text AS id, tenant_id, subscription_id, kind, state, since, until, cursor, total::text AS total,
  scanned::text AS scanned, produced::text AS produced, skipped::text AS skipped, progress, error, runs, created_at,
  started_at, finished_at, updated_at`;

/** Postgres unique_violation: the hook already has a queued or running job. */
const UNIQUE_VIOLATION = '23505';

/** The hook already has a job that is not finished. */
export class ActiveJobExistsError extends Error {
  constructor(readonly activeJobId: string | null) {
    super('this webhook already has a replay or redrive job that is not finished');
  }
}

/** Resend jobs: every read takes the tenant first, the worker's writes check it still owns the job. */
@Injectable()
export class ResendJobsRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(job: {
    tenantId: string;
    subscriptionId: string;
    kind: ResendJobKind;
    since: Date | null;
    until: Date;
  }): Promise<ResendJob> {
    try {
      const rows: JobRow[] = await this.ds.query(
        `INSERT INTO ${T} (id, tenant_id, subscription_id, kind, state, since, until, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'queued', $5, $6, now(), now())
         RETURNING ${COLUMNS}`,
        [randomUUID(), job.tenantId, job.subscriptionId, job.kind, job.since?.toISOString() ?? null, job.until.toISOString()],
      );
      return toJob(rows[0]);
    } catch (e) {
      if ((e as { code?: string }).code !== UNIQUE_VIOLATION) throw e;
      const active = await this.active(job.tenantId, job.subscriptionId);
      throw new ActiveJobExistsError(active?.id ?? null);
    }
  }

  async countActive(tenantId: string): Promise<number> {
    const rows: { n: string }[] = await this.ds.query(
      `SELECT count(*)::text AS n FROM ${T} WHERE tenant_id = $1 AND state IN ('queued', 'running')`,
      [tenantId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async active(tenantId: string, subscriptionId: string): Promise<ResendJob | null> {
    const rows: JobRow[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM ${T} WHERE tenant_id = $1 AND subscription_id = $2 AND state IN ('queued', 'running') LIMIT 1`,
      [tenantId, subscriptionId],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  async get(tenantId: string, subscriptionId: string, id: string): Promise<ResendJob | null> {
    if (!UUID.test(id) || !UUID.test(subscriptionId)) return null;
    const rows: JobRow[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM ${T} WHERE tenant_id = $1 AND subscription_id = $2 AND id = $3::uuid`,
      [tenantId, subscriptionId, id],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** The hook's jobs, newest first. */
  async list(tenantId: string, subscriptionId: string, limit: number): Promise<ResendJob[]> {
    // Hook ids are UUIDs: anything else (a NUL byte, megabytes of text) has no job and never reaches SQL.
    if (!UUID.test(subscriptionId)) return [];
    const rows: JobRow[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM ${T} WHERE tenant_id = $1 AND subscription_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
      [tenantId, subscriptionId, limit],
    );
    return rows.map(toJob);
  }

  /**
   * Takes the oldest queued job, or a running one whose worker went silent (it resumes from the
   * job's cursor). One short statement: replicas never take the same job.
   */
  async claim(owner: string, staleAfterMs: number): Promise<ResendJob | null> {
    const rows = returned<JobRow>(await this.ds.query(
      `UPDATE ${T} j SET state = 'running', owner = $1, heartbeat_at = now(), runs = j.runs + 1,
              started_at = COALESCE(j.started_at, now()), updated_at = now()
        WHERE j.id = (
          SELECT id FROM ${T}
           WHERE state = 'queued'
              OR (state = 'running' AND heartbeat_at < now() - make_interval(secs => $2::double precision / 1000))
           ORDER BY created_at
           FOR UPDATE SKIP LOCKED
           LIMIT 1)
        RETURNING ${COLUMNS}`,
      [owner, staleAfterMs],
    ));
    return rows[0] ? toJob(rows[0]) : null;
  }

  /**
   * Records a step of the job (cursor and counts) if `owner` still holds it; false when another
   * worker took it over (this one stops).
   */
  async progress(
    id: string,
    owner: string,
    p: { cursor: ResendJobCursor; total?: number | null; scanned: number; produced: number; skipped: number; progress: number },
  ): Promise<boolean> {
    const rows = returned(await this.ds.query(
      `UPDATE ${T} SET cursor = $3::jsonb, total = COALESCE($4::bigint, total), scanned = $5, produced = $6, skipped = $7,
              progress = $8, heartbeat_at = now(), updated_at = now()
        WHERE id = $1 AND owner = $2 AND state = 'running'
        RETURNING id`,
      [id, owner, JSON.stringify(p.cursor), p.total ?? null, p.scanned, p.produced, p.skipped, p.progress],
    ));
    return rows.length > 0;
  }

  async heartbeat(id: string, owner: string): Promise<boolean> {
    const rows = returned(await this.ds.query(
      `UPDATE ${T} SET heartbeat_at = now() WHERE id = $1 AND owner = $2 AND state = 'running' RETURNING id`,
      [id, owner],
    ));
    return rows.length > 0;
  }

  async finish(id: string, owner: string, state: 'succeeded' | 'failed', error: string | null): Promise<void> {
    await this.ds.query(
      `UPDATE ${T} SET state = $3, error = $4, progress = CASE WHEN $3 = 'succeeded' THEN 1 ELSE progress END,
              finished_at = now(), updated_at = now(), owner = NULL
        WHERE id = $1 AND owner = $2 AND state = 'running'`,
      [id, owner, state, error === null ? null : safeTruncate(error, 1000)],
    );
  }

  /** A stopping worker gives a job back: queued again, resumed from its cursor by the next claim. */
  async release(id: string, owner: string): Promise<void> {
    await this.ds.query(
      `UPDATE ${T} SET state = 'queued', owner = NULL, updated_at = now() WHERE id = $1 AND owner = $2 AND state = 'running'`,
      [id, owner],
    );
  }

  /** Finished jobs older than the retention are forgotten. */
  async purgeFinished(olderThan: Date): Promise<number> {
    const rows = returned(await this.ds.query(
      `DELETE FROM ${T} WHERE state IN ('succeeded', 'failed') AND finished_at < $1 RETURNING id`,
      [olderThan.toISOString()],
    ));
    return rows.length;
  }
}

/** TypeORM's Postgres driver answers an UPDATE or DELETE with `[rows, rowCount]`, an INSERT or SELECT with the rows. */
function returned<R>(result: unknown): R[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as R[];
  return result as R[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toJob(r: JobRow): ResendJob {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    subscriptionId: r.subscription_id,
    kind: r.kind,
    state: r.state,
    since: r.since,
    until: r.until,
    cursor: r.cursor,
    total: r.total === null ? null : Number(r.total),
    scanned: Number(r.scanned),
    produced: Number(r.produced),
    skipped: Number(r.skipped),
    progress: r.progress,
    error: r.error,
    runs: r.runs,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    updatedAt: r.updated_at,
  };
}
