import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Span } from '@opentelemetry/api';
import type { RawMessage } from '@herald/platform/kafka';
import { HeraldProducer, TopicAdmin } from '@herald/platform/kafka';
import {
  Headers,
  ResourceChangeContract,
  ResourceChangeSchema,
  Topics,
  resourceChangeKey,
  schemaHeaderValue,
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
      const parsed = ResourceChangeSchema.safeParse(row.payload);
      const headers: Record<string, string> = {
        [Headers.Schema]: schemaHeaderValue(ResourceChangeContract),
        [Headers.Producer]: this.producerName,
      };
      for (const name of [Headers.TraceParent, Headers.TraceState]) {
        const v = row.headers?.[name];
        if (typeof v === 'string' && v) headers[name] = v;
      }
      const value = JSON.stringify(row.payload);
      if (parsed.success) {
        // An `outbox.publish` PRODUCER span in the row's trace (the request that made the change);
        // the message carries it on. Without tracing the row's own traceparent goes as it is.
        const parent = propagation.extract(ROOT_CONTEXT, headers);
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
        if (carrier[Headers.TraceParent]) Object.assign(headers, carrier);
        valid.push({ key: resourceChangeKey(parsed.data), value, headers });
      } else {
        invalid.push({
          key: row.aggregateKey,
          value,
          headers: {
            ...headers,
            [Headers.DlqReason]: `invalid outbox row ${row.id}: ${parsed.error.issues
              .map((i) => `${i.path.join('.')}: ${i.message}`)
              .join('; ')}`.slice(0, 1000),
            [Headers.DlqErrorClass]: 'invalid-outbox-row',
            [Headers.DlqSourceTopic]: 'outbox',
            [Headers.DlqAt]: new Date().toISOString(),
          },
        });
      }
    }
    try {
      for (const chunk of byteChunks(valid)) await this.producer.sendRaw(this.topic, chunk);
      for (const chunk of byteChunks(invalid)) await this.producer.sendRaw(Topics.ResourceChangesDlq, chunk);
    } catch (e) {
      for (const span of spans) span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      for (const span of spans) span.end();
    }
  }
}

const tracer = trace.getTracer('@herald/domain/outbox');

/** Produce requests of at most ~800 KB of values (the broker refuses batches over 1 MB), in order. */
export function byteChunks(messages: readonly RawMessage[], maxBytes = 800_000): RawMessage[][] {
  const chunks: RawMessage[][] = [];
  let current: RawMessage[] = [];
  let size = 0;
  for (const m of messages) {
    const bytes = (m.value ? Buffer.byteLength(m.value) : 0) + Buffer.byteLength(m.key) + 64;
    if (current.length && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += bytes;
  }
  if (current.length) chunks.push(current);
  return chunks;
}
