import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { context, propagation } from '@opentelemetry/api';
import type { EntityManager } from 'typeorm';
import { Headers, ResourceChangeSchema, resourceChangeKey, type ResourceChange } from '@herald/contracts';
import { OUTBOX_TABLE } from './outbox.constants';

/**
 * Kafka's default message size limit is 1 MB; an event above this could never be published and
 * would hold up every event behind it, so it is refused when written (the change rolls back).
 */
export const MAX_EVENT_BYTES = 900_000;

export class OutboxEventTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly limit = MAX_EVENT_BYTES,
  ) {
    super(`the change's event is ${bytes} bytes, more than the ${limit} bytes a Kafka message may carry`);
    this.name = 'OutboxEventTooLargeError';
  }
}

/** What a use case knows about a change; the writer adds the id, the time and the trace context. */
export type NewResourceChange = Omit<ResourceChange, 'eventId' | 'occurredAt' | 'traceparent'> &
  Partial<Pick<ResourceChange, 'eventId' | 'occurredAt'>>;

/** An event's outbox row, for a statement that writes it (OutboxWriter.row). */
export interface OutboxInsert {
  event: ResourceChange;
  table: string;
  columns: readonly ['id', 'aggregate_key', 'payload', 'headers'];
  values: readonly [string, string, string, string];
}

const OUTBOX_COLUMNS = ['id', 'aggregate_key', 'payload', 'headers'] as const;

/**
 * Appends a "resource changed" event to the outbox inside the caller's transaction: the event
 * exists if and only if the change commits. Call it with the transaction's EntityManager.
 */
@Injectable()
export class OutboxWriter {
  async append(manager: EntityManager, change: NewResourceChange): Promise<ResourceChange> {
    if (!manager.queryRunner?.isTransactionActive) {
      // Outside a transaction the event could be written without the change, or the reverse.
      throw new Error('OutboxWriter.append needs the EntityManager of an open transaction');
    }
    const row = this.row(change);
    await manager.query(`INSERT INTO ${OUTBOX_TABLE} (${OUTBOX_COLUMNS.join(', ')}) VALUES ($1, $2, $3, $4)`, [...row.values]);
    return row.event;
  }

  /**
   * The event of a change and its outbox row, validated and within the size limit, for a statement
   * that writes it with the change itself (in one transaction: the same rule as append's).
   */
  row(change: NewResourceChange): OutboxInsert {
    const trace = activeTraceHeaders();
    const event = ResourceChangeSchema.parse({
      ...change,
      eventId: change.eventId ?? randomUUID(),
      occurredAt: change.occurredAt ?? new Date().toISOString(),
      ...(trace[Headers.TraceParent] ? { traceparent: trace[Headers.TraceParent] } : {}),
    });
    const payload = JSON.stringify(event);
    const bytes = Buffer.byteLength(payload);
    if (bytes > MAX_EVENT_BYTES) throw new OutboxEventTooLargeError(bytes);
    return { event, table: OUTBOX_TABLE, columns: OUTBOX_COLUMNS, values: [event.eventId, resourceChangeKey(event), payload, JSON.stringify(trace)] };
  }
}

/** traceparent / tracestate of the active OpenTelemetry context (empty when tracing is off). */
export function activeTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const out: Record<string, string> = {};
  for (const name of [Headers.TraceParent, Headers.TraceState]) {
    if (carrier[name]) out[name] = carrier[name];
  }
  return out;
}
