import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { DeliveryOutcome } from '@herald/contracts';
import { DELIVERY_STATS_TABLE, HOOK_LAST_ATTEMPT_TABLE, qualified } from '../delivery-log.constants';
import { attemptRow, type AttemptRowInput } from '../outcome-rows';
import { addInto, bucketOf, LATENCY_BUCKETS, quantile } from './latency-histogram';

interface MinuteRow {
  tenant_id: string;
  subscription_id: string;
  minute: string;
  delivered: number;
  retrying: number;
  failed: number;
  discarded: number;
  latency_count: number;
  latency_sum_ms: number;
  latency_buckets: number[];
}

const S = qualified(DELIVERY_STATS_TABLE);
const L = qualified(HOOK_LAST_ATTEMPT_TABLE);

/**
 * Folds newly logged attempts into the per-minute rollup and each hook's latest attempt: two
 * statements, inside the log's transaction (the caller's `em`), rows in key order so two
 * batches never lock the same rows in opposite orders.
 */
export async function recordAttemptStats(em: EntityManager, attempts: readonly DeliveryOutcome[]): Promise<void> {
  const rows = new Map<string, MinuteRow>();
  // Each hook's latest attempt: the columns of its attempt row that the last-attempt table keeps.
  const last = new Map<string, Pick<AttemptRowInput, 'tenant_id' | 'subscription_id' | 'at' | 'status' | 'http_status' | 'error_class'>>();
  for (const a of attempts) {
    if (a.status === 'queued' || a.attempt < 1) continue;
    const at = Date.parse(a.at);
    const minute = new Date(at - (at % 60_000)).toISOString();
    const key = `${a.subscriptionId}\u0000${minute}`;
    let r = rows.get(key);
    if (!r) {
      r = {
        tenant_id: a.tenantId,
        subscription_id: a.subscriptionId,
        minute,
        delivered: 0,
        retrying: 0,
        failed: 0,
        discarded: 0,
        latency_count: 0,
        latency_sum_ms: 0,
        latency_buckets: new Array(LATENCY_BUCKETS).fill(0),
      };
      rows.set(key, r);
    }
    r[a.status] += 1;
    if (typeof a.durationMs === 'number' && Number.isFinite(a.durationMs)) {
      r.latency_count += 1;
      r.latency_sum_ms += a.durationMs;
      r.latency_buckets[bucketOf(a.durationMs)] += 1;
    }
    const prev = last.get(a.subscriptionId);
    if (!prev || Date.parse(prev.at) <= at) {
      const { tenant_id, subscription_id, status, http_status, error_class } = attemptRow(a);
      last.set(a.subscriptionId, { tenant_id, subscription_id, at: a.at, status, http_status, error_class });
    }
  }
  if (rows.size === 0) return;
  await em.query(
    `INSERT INTO ${S} AS s (subscription_id, minute, tenant_id, delivered, retrying, failed, discarded, latency_count,
            latency_sum_ms, latency_buckets)
     SELECT subscription_id, minute, tenant_id, delivered, retrying, failed, discarded, latency_count, latency_sum_ms,
            latency_buckets
       FROM jsonb_to_recordset($1::jsonb) AS x(subscription_id text, minute timestamptz, tenant_id text, delivered int,
            retrying int, failed int, discarded int, latency_count int, latency_sum_ms double precision, latency_buckets int[])
      ORDER BY subscription_id, minute
     ON CONFLICT (subscription_id, minute) DO UPDATE SET
       delivered = s.delivered + EXCLUDED.delivered,
       retrying = s.retrying + EXCLUDED.retrying,
       failed = s.failed + EXCLUDED.failed,
       discarded = s.discarded + EXCLUDED.discarded,
       latency_count = s.latency_count + EXCLUDED.latency_count,
       latency_sum_ms = s.latency_sum_ms + EXCLUDED.latency_sum_ms,
       latency_buckets = ARRAY(SELECT COALESCE(a, 0) + COALESCE(b, 0)
                                 FROM unnest(s.latency_buckets, EXCLUDED.latency_buckets) WITH ORDINALITY AS u(a, b, i)
                                ORDER BY i)`,
    [JSON.stringify([...rows.values()])],
  );
  await em.query(
    `INSERT INTO ${L} AS l (subscription_id, tenant_id, at, status, http_status, error_class)
     SELECT subscription_id, tenant_id, at, status, http_status, error_class
       FROM jsonb_to_recordset($1::jsonb) AS x(subscription_id text, tenant_id text, at timestamptz, status text,
            http_status int, error_class text)
      ORDER BY subscription_id
     ON CONFLICT (subscription_id) DO UPDATE SET at = EXCLUDED.at, status = EXCLUDED.status,
       http_status = EXCLUDED.http_status, error_class = EXCLUDED.error_class
     WHERE EXCLUDED.at >= l.at`,
    [JSON.stringify([...last.values()])],
  );
}

export interface HookStatsSummary {
  subscriptionId: string;
  /** Attempts in the window, by how they ended. */
  attempts: { delivered: number; retrying: number; failed: number; discarded: number; total: number };
  /** delivered / (delivered + retrying + failed + discarded); null without attempts. */
  successRate: number | null;
  latencyMs: { p50: number | null; p99: number | null; mean: number | null };
  lastAttempt: { at: string; status: string; httpStatus: number | null; errorClass: string | null } | null;
}

export interface HookStatsPoint {
  at: string;
  delivered: number;
  retrying: number;
  failed: number;
  discarded: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

const emptySummary = (subscriptionId: string): HookStatsSummary => ({
  subscriptionId,
  attempts: { delivered: 0, retrying: 0, failed: 0, discarded: 0, total: 0 },
  successRate: null,
  latencyMs: { p50: null, p99: null, mean: null },
  lastAttempt: null,
});

/**
 * Reads the rollup: a few hooks' 24 h summaries (the hooks list: one grouped query over at most
 * 1,440 rows per hook, one for the histograms, one for the latest attempts) and one hook's
 * series (the charts). Tenant first, like every read of the log.
 */
@Injectable()
export class DeliveryStatsReader {
  constructor(private readonly ds: DataSource) {}

  async summaries(tenantId: string, subscriptionIds: readonly string[], window: { from: Date; to: Date }): Promise<Map<string, HookStatsSummary>> {
    const out = new Map(subscriptionIds.map((id) => [id, emptySummary(id)]));
    if (subscriptionIds.length === 0) return out;
    const params = [tenantId, [...subscriptionIds], window.from.toISOString(), window.to.toISOString()];
    const where = `tenant_id = $1 AND subscription_id = ANY($2::text[]) AND minute >= $3 AND minute < $4`;
    const sums: { subscription_id: string; delivered: string; retrying: string; failed: string; discarded: string; n: string; sum: number }[] =
      await this.ds.query(
        `SELECT subscription_id, sum(delivered)::text AS delivered, sum(retrying)::text AS retrying, sum(failed)::text AS failed,
                sum(discarded)::text AS discarded, sum(latency_count)::text AS n, sum(latency_sum_ms) AS sum
           FROM ${S} WHERE ${where} GROUP BY subscription_id`,
        params,
      );
    const buckets: { subscription_id: string; i: number; n: string }[] = await this.ds.query(
      `SELECT subscription_id, u.i::int AS i, sum(u.b)::text AS n
         FROM ${S}, unnest(latency_buckets) WITH ORDINALITY AS u(b, i)
        WHERE ${where} GROUP BY subscription_id, u.i`,
      params,
    );
    const lasts: { subscription_id: string; at: Date; status: string; http_status: number | null; error_class: string | null }[] =
      await this.ds.query(`SELECT subscription_id, at, status, http_status, error_class FROM ${L} WHERE tenant_id = $1 AND subscription_id = ANY($2::text[])`, [
        tenantId,
        [...subscriptionIds],
      ]);
    const hist = new Map<string, number[]>();
    for (const b of buckets) {
      const h = hist.get(b.subscription_id) ?? new Array(LATENCY_BUCKETS).fill(0);
      h[b.i - 1] = Number(b.n);
      hist.set(b.subscription_id, h);
    }
    for (const r of sums) {
      const s = out.get(r.subscription_id);
      if (!s) continue;
      const a = { delivered: Number(r.delivered), retrying: Number(r.retrying), failed: Number(r.failed), discarded: Number(r.discarded) };
      const total = a.delivered + a.retrying + a.failed + a.discarded;
      const h = hist.get(r.subscription_id) ?? [];
      const n = Number(r.n);
      Object.assign(s, {
        attempts: { ...a, total },
        successRate: total ? a.delivered / total : null,
        latencyMs: { p50: quantile(h, 0.5), p99: quantile(h, 0.99), mean: n ? Math.round(r.sum / n) : null },
      });
    }
    for (const l of lasts) {
      const s = out.get(l.subscription_id);
      if (s) s.lastAttempt = { at: l.at.toISOString(), status: l.status, httpStatus: l.http_status, errorClass: l.error_class };
    }
    return out;
  }

  /** One hook's attempts and latency per `bucketMinutes` over the window, oldest first, empty buckets included. */
  async series(tenantId: string, subscriptionId: string, window: { from: Date; to: Date }, bucketMinutes: number): Promise<HookStatsPoint[]> {
    const step = bucketMinutes * 60_000;
    const from = Math.floor(window.from.getTime() / step) * step;
    const rows: { bucket: Date; delivered: string; retrying: string; failed: string; discarded: string; buckets: number[] }[] = await this.ds.query(
      `SELECT bucket, sum(delivered)::text AS delivered, sum(retrying)::text AS retrying, sum(failed)::text AS failed,
              sum(discarded)::text AS discarded,
              ARRAY(SELECT sum(x.b)::int FROM ${S} s2, unnest(s2.latency_buckets) WITH ORDINALITY AS x(b, i)
                     WHERE s2.subscription_id = $2 AND s2.tenant_id = $1
                       AND s2.minute >= bucket AND s2.minute < bucket + make_interval(mins => $5)
                     GROUP BY x.i ORDER BY x.i) AS buckets
         FROM (SELECT date_bin(make_interval(mins => $5), minute, $3::timestamptz) AS bucket, *
                 FROM ${S} WHERE tenant_id = $1 AND subscription_id = $2 AND minute >= $3 AND minute < $4) m
        GROUP BY bucket ORDER BY bucket`,
      [tenantId, subscriptionId, new Date(from).toISOString(), window.to.toISOString(), bucketMinutes],
    );
    const byBucket = new Map(rows.map((r) => [r.bucket.getTime(), r]));
    const points: HookStatsPoint[] = [];
    for (let t = from; t < window.to.getTime(); t += step) {
      const r = byBucket.get(t);
      const h = r?.buckets ?? [];
      points.push({
        at: new Date(t).toISOString(),
        delivered: Number(r?.delivered ?? 0),
        retrying: Number(r?.retrying ?? 0),
        failed: Number(r?.failed ?? 0),
        discarded: Number(r?.discarded ?? 0),
        p50Ms: quantile(addInto([], h), 0.5),
        p99Ms: quantile(addInto([], h), 0.99),
      });
    }
    return points;
  }

  /** Drops rollup rows older than the charts need. */
  async purge(before: Date): Promise<void> {
    await this.ds.query(`DELETE FROM ${S} WHERE minute < $1`, [before.toISOString()]);
  }
}
