import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DeliveryStatus } from '@herald/contracts';
import { DELIVERIES_TABLE, DELIVERY_ATTEMPTS_TABLE, qualified } from './delivery-log.constants';
import { CURSOR_MICROS_SQL, cursorTimeSql, decodeCursor, decodePosition, encodeCursor } from './cursor';
import type {
  DeliveryAttemptRecord,
  DeliveryOrigin,
  DeliveryPage,
  DeliveryRecord,
  DeliverySearchFilter,
  DeliverySummary,
} from './delivery-log.types';

interface DeliveryRow {
  delivery_id: string;
  event_id: string;
  subscription_id: string;
  tenant_id: string;
  event_type: string;
  resource_type: string;
  resource_id: string;
  status: DeliveryStatus;
  origin: DeliveryOrigin;
  attempt_count: number;
  last_attempt_at: Date | null;
  last_http_status: number | null;
  last_error_class: string | null;
  next_attempt_at: Date | null;
  occurred_at: Date | null;
  created_at: Date;
  updated_at: Date;
  cursor_at: string;
  body?: string | null;
}

const SUMMARY_COLUMNS = `delivery_id::text AS delivery_id, event_id, subscription_id, tenant_id, event_type, resource_type,
  resource_id, status, origin, attempt_count, last_attempt_at, last_http_status, last_error_class, next_attempt_at,
  occurred_at, created_at, updated_at,
  ${CURSOR_MICROS_SQL} AS cursor_at`;

/** A delivery that can be sent again: its summary, and what was sent. */
export interface ResendableDelivery extends DeliverySummary {
  body: string;
  /** Position in the replay order: pass back as `after` for the next page. */
  position: string;
}

/**
 * Reads of the delivery log. Every method takes the tenant first: there is no unscoped read.
 * Writes go through `RecordDeliveryOutcomes`.
 */
@Injectable()
export class DeliveryLogRepository {
  constructor(private readonly ds: DataSource) {}

  async search(
    tenantId: string,
    subscriptionId: string,
    filter: DeliverySearchFilter,
    page: { limit: number; cursor?: string | null; offset?: number },
  ): Promise<DeliveryPage> {
    const where: string[] = ['tenant_id = $1', 'subscription_id = $2'];
    const params: unknown[] = [tenantId, subscriptionId];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.statuses?.length) add((p) => `status = ANY(${p}::text[])`, filter.statuses);
    if (filter.resourceType) add((p) => `resource_type = ${p}`, filter.resourceType);
    if (filter.resourceId) add((p) => `resource_id = ${p}`, filter.resourceId);
    if (filter.eventTypes?.length) add((p) => `event_type = ANY(${p}::text[])`, filter.eventTypes);
    if (filter.origins?.length) add((p) => `origin = ANY(${p}::text[])`, filter.origins);
    if (filter.from) add((p) => `created_at >= ${p}`, filter.from.toISOString());
    if (filter.to) add((p) => `created_at < ${p}`, filter.to.toISOString());
    if (page.cursor) {
      const c = decodeCursor(page.cursor);
      params.push(c.epochMicros, c.deliveryId);
      where.push(
        `(created_at, delivery_id) < (${cursorTimeSql(`$${params.length - 1}`)}, $${params.length}::uuid)`,
      );
    }
    params.push(page.limit + 1);
    const limit = `LIMIT $${params.length}`;
    // A numbered page (Procore's): skipped in the same index scan, one query whatever the page.
    if (page.offset) params.push(page.offset);
    const rows: DeliveryRow[] = await this.ds.query(
      `SELECT ${SUMMARY_COLUMNS} FROM ${qualified(DELIVERIES_TABLE)}
        WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, delivery_id DESC
        ${limit}${page.offset ? ` OFFSET $${params.length}` : ''}`,
      params,
    );
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toSummary),
      nextCursor:
        rows.length > page.limit && last
          ? encodeCursor({ epochMicros: last.cursor_at, deliveryId: last.delivery_id })
          : null,
    };
  }

  async get(tenantId: string, deliveryId: string): Promise<DeliveryRecord | null> {
    return (await this.getMany(tenantId, [deliveryId]))[0] ?? null;
  }

  /**
   * Deliveries with their bodies and every attempt, in the order asked (those the tenant has):
   * two queries whatever their number (a page of them is not one query per delivery).
   */
  async getMany(tenantId: string, deliveryIds: readonly string[]): Promise<DeliveryRecord[]> {
    if (!deliveryIds.length) return [];
    const rows: DeliveryRow[] = await this.ds.query(
      `SELECT DISTINCT ON (delivery_id) ${SUMMARY_COLUMNS}, body FROM ${qualified(DELIVERIES_TABLE)}
        WHERE tenant_id = $1 AND delivery_id = ANY($2::uuid[])
        ORDER BY delivery_id, created_at`,
      [tenantId, deliveryIds],
    );
    if (!rows.length) return [];
    const attempts: {
      delivery_id: string;
      attempt: number;
      status: DeliveryStatus;
      at: Date;
      http_status: number | null;
      duration_ms: number | null;
      error_class: string | null;
      error_message: string | null;
      response_excerpt: string | null;
      next_attempt_at: Date | null;
    }[] = await this.ds.query(
      `SELECT a.delivery_id::text AS delivery_id, a.attempt, a.status, a.at, a.http_status, a.duration_ms, a.error_class, a.error_message, a.response_excerpt, a.next_attempt_at
         FROM ${qualified(DELIVERY_ATTEMPTS_TABLE)} a
         JOIN (SELECT DISTINCT ON (delivery_id) delivery_id, created_at FROM ${qualified(DELIVERIES_TABLE)}
                WHERE tenant_id = $1 AND delivery_id = ANY($2::uuid[]) ORDER BY delivery_id, created_at) d
           ON a.delivery_id = d.delivery_id AND a.created_at = d.created_at
        WHERE a.tenant_id = $1
        ORDER BY a.delivery_id, a.attempt`,
      [tenantId, rows.map((r) => r.delivery_id)],
    );
    const logs = new Map<string, DeliveryAttemptRecord[]>();
    for (const a of attempts) {
      const log = logs.get(a.delivery_id) ?? [];
      log.push({
        attempt: a.attempt,
        status: a.status,
        at: a.at,
        httpStatus: a.http_status,
        durationMs: a.duration_ms,
        errorClass: a.error_class,
        errorMessage: a.error_message,
        responseExcerpt: a.response_excerpt,
        nextAttemptAt: a.next_attempt_at,
      });
      logs.set(a.delivery_id, log);
    }
    const byId = new Map(rows.map((r) => [r.delivery_id, r]));
    return deliveryIds.flatMap((id) => {
      const row = byId.get(id.toLowerCase());
      return row ? [{ ...toSummary(row), body: row.body ?? null, attemptLog: logs.get(row.delivery_id) ?? [] }] : [];
    });
  }

  /**
   * One hook's deliveries logged in `[since, until)` that can be sent again (their body is
   * logged, not a test), the first logged delivery of each event only, oldest first, a page at a
   * time; `after` is the last row's `position`. Each page is one keyset range scan of the hook's
   * index plus one probe of the event index per row (no DISTINCT over the whole window), so a
   * replay of any size costs the same per page.
   */
  async resendablePage(
    tenantId: string,
    subscriptionId: string,
    window: { since: Date; until: Date },
    page: { limit: number; after?: string | null },
  ): Promise<ResendableDelivery[]> {
    const params: unknown[] = [
      tenantId,
      subscriptionId,
      window.since.toISOString(),
      window.until.toISOString(),
      page.limit,
    ];
    let after = '';
    if (page.after) {
      const c = decodePosition(page.after);
      params.push(c.epochMicros, c.deliveryId);
      after = `AND (d.created_at, d.delivery_id) > (${cursorTimeSql('$6')}, $7::uuid)`;
    }
    const rows: (DeliveryRow & { body: string })[] = await this.ds.query(
      `SELECT ${SUMMARY_COLUMNS}, body FROM ${qualified(DELIVERIES_TABLE)} d
        WHERE d.tenant_id = $1 AND d.subscription_id = $2
          AND d.created_at >= $3 AND d.created_at < $4 ${after}
          AND d.body IS NOT NULL AND d.origin <> 'test'
          AND NOT EXISTS (
            SELECT 1 FROM ${qualified(DELIVERIES_TABLE)} e
             WHERE e.tenant_id = d.tenant_id AND e.subscription_id = d.subscription_id
               AND e.event_id = d.event_id AND e.created_at >= $3
               AND (e.created_at, e.delivery_id) < (d.created_at, d.delivery_id)
               AND e.body IS NOT NULL AND e.origin <> 'test')
        ORDER BY d.created_at, d.delivery_id
        LIMIT $5`,
      params,
    );
    return rows.map((r) => ({
      ...toSummary(r),
      body: r.body,
      position: encodeCursor({ epochMicros: r.cursor_at, deliveryId: r.delivery_id }),
    }));
  }
}

function toSummary(r: DeliveryRow): DeliverySummary {
  return {
    deliveryId: r.delivery_id,
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
    tenantId: r.tenant_id,
    eventType: r.event_type,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    status: r.status,
    origin: r.origin,
    attempts: r.attempt_count,
    lastAttemptAt: r.last_attempt_at,
    lastHttpStatus: r.last_http_status,
    lastErrorClass: r.last_error_class,
    nextAttemptAt: r.next_attempt_at,
    occurredAt: r.occurred_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
