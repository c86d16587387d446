import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Span } from '@opentelemetry/api';
import type { RawMessage } from '@herald/platform/kafka';
import { HeraldProducer, TopicAdmin, chunkByBytes } from '@herald/platform/kafka';
import {
  Headers,
  ResourceChangeContract,
  Topics,
  describeIssues,
  traceHeaders,
  tryEncode,
  type TopicSpec,
} from '@herald/contracts';

/** An outbox row as a relay reads it (from the WAL or from the table). */
export interface OutboxRow {
  id: string;
  aggregateKey: string;
  payload: unknown;
  headers: Record<string, string>;
  createdAt: Date;
  /** When the row's transaction committed, where the relay knows it (logical replication). */
  committedAt?: Date;
}

/** An outbox row as PostgreSQL names its columns (a relay's SELECT, or a decoded WAL insert). */
export interface OutboxColumns {
  id: string;
  aggregate_key: string;
  payload: unknown;
  headers: Record<string, string> | null;
  created_at: Date;
}

export function outboxRowOf(c: OutboxColumns, committedAt?: Date): OutboxRow {
  return { id: c.id, aggregateKey: c.aggregate_key, payload: c.payload, headers: c.headers ?? {}, createdAt: c.created_at, committedAt };
}

/** Where a relay hands rows over. Resolves only once every row is acknowledged (acks=all). */
export interface OutboxPublisher {
  /** Called at the start of every active session (creates topics if needed). */
  prepare(): Promise<void>;
  publish(rows: readonly OutboxRow[]): Promise<void>;
}

export interface KafkaOutboxPublisherOptions {
  /** Value of the `herald-producer` header. */
  producerName?: string;
  topic?: TopicSpec;
}

/**
 * Publishes outbox rows to `herald.resource-changes.v1` with the service's idempotent producer,
 * keyed `tenantId:resourceType:resourceId`, with the trace context stored in the row. The value is
 * the payload exactly as written. A row that is not a valid ResourceChange (written by hand, or
 * by an older writer) goes to the resource-changes DLQ with the reason: it never vanishes and
 * never blocks the rows behind it.
 */
export class KafkaOutboxPublisher implements OutboxPublisher {
  private readonly producerName: string;
  private readonly topic: TopicSpec;

  constructor(
    private readonly producer: HeraldProducer,
    private readonly topicAdmin?: TopicAdmin,
    opts: KafkaOutboxPublisherOptions = {},
  ) {
    this.producerName = opts.producerName ?? 'domain-api';
    this.topic = opts.topic ?? Topics.ResourceChanges;
  }

  async prepare(): Promise<void> {
    await this.topicAdmin?.ensureTopics([this.topic, Topics.ResourceChangesDlq]);
  }

  async publish(rows: readonly OutboxRow[]): Promise<void> {
    const valid: RawMessage[] = [];
    const invalid: RawMessage[] = [];
    const spans: Span[] = [];
    for (const row of rows) {
      // The value goes exactly as written; the trace context is the row's until its span exists.
      const opts = { trace: row.headers, headers: { [Headers.Producer]: this.producerName }, verbatim: true };
      const checked = tryEncode(ResourceChangeContract, row.payload, opts);
      if (checked.ok) {
        // An `outbox.publish` PRODUCER span in the row's trace (the request that made the change);
        // the message carries it on. Without tracing the row's own traceparent goes as it is.
        const parent = propagation.extract(ROOT_CONTEXT, traceHeaders(row.headers));
        const span = tracer.startSpan(
          'outbox.publish',
          {
            kind: SpanKind.PRODUCER,
            attributes: {
              'messaging.system': 'kafka',
              'messaging.operation.type': 'send',
              'messaging.destination.name': this.topic.name,
              'herald.outbox_row_id': row.id,
            },
          },
          parent,
        );
        spans.push(span);
        const carrier: Record<string, string> = {};
        propagation.inject(trace.setSpan(parent, span), carrier);
        valid.push(carrier[Headers.TraceParent] ? { ...checked.message, headers: { ...checked.message.headers, ...traceHeaders(carrier) } } : checked.message);
      } else {
        invalid.push({
          key: row.aggregateKey,
          value: JSON.stringify(row.payload),
          headers: {
            ...checked.headers,
            [Headers.DlqReason]: `invalid outbox row ${row.id}: ${describeIssues(checked.error, '')}`.slice(0, 1000),
            [Headers.DlqErrorClass]: 'invalid-outbox-row',
            [Headers.DlqSourceTopic]: 'outbox',
            [Headers.DlqAt]: new Date().toISOString(),
          },
        });
      }
    }
    try {
      for (const chunk of chunkByBytes(valid, MAX_REQUEST_BYTES)) await this.producer.sendRaw(this.topic, chunk);
      for (const chunk of chunkByBytes(invalid, MAX_REQUEST_BYTES)) await this.producer.sendRaw(Topics.ResourceChangesDlq, chunk);
    } catch (e) {
      for (const span of spans) span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      for (const span of spans) span.end();
    }
  }
}

const tracer = trace.getTracer('@herald/domain/outbox');

/** Produce requests of at most ~800 KB (the broker refuses batches over 1 MB), in order. */
const MAX_REQUEST_BYTES = 800_000;
