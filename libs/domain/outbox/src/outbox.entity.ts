import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ResourceChange } from '@herald/contracts';
import { OUTBOX_SCHEMA, OUTBOX_TABLE_NAME } from './outbox.constants';

/**
 * One "resource changed" event waiting to be published, written in the transaction that made
 * the change. Rows live only until a relay has handed them to Kafka.
 */
@Entity({ schema: OUTBOX_SCHEMA, name: OUTBOX_TABLE_NAME })
export class OutboxEntity {
  /** The event's eventId: a re-publication after a crash carries the same id. */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** `tenantId:resourceType:resourceId`, the Kafka key (per-resource order). */
  @Column({ name: 'aggregate_key', type: 'text' })
  aggregateKey: string;

  /** The full ResourceChange. */
  @Column({ type: 'jsonb' })
  payload: ResourceChange;

  /** W3C trace context of the request that made the change (traceparent, tracestate). */
  @Column({ type: 'jsonb', default: () => `'{}'::jsonb` })
  headers: Record<string, string>;

  /** Insert time (clock_timestamp(), not the transaction start, so that it orders rows of one key). */
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt: Date;

  /** Tie-breaker for rows inserted in the same microsecond; never used as a watermark. */
  @Column({ type: 'bigint', generatedIdentity: 'ALWAYS', generated: 'identity', insert: false, update: false })
  seq: string;
}
