import type { CompressionTypes, Message, Producer } from 'kafkajs';
import { issueLines, tryEncode } from './encoding';
import { Headers } from './headers';
import { ResourceChangeContract } from './messages';
import type { ResourceChange } from './resource-change';
import { Topics, topicName } from './topics';

export interface ResourceChangePublisherOptions {
  /** Who publishes (goes into the `herald-producer` header): e.g. `billing-service`. */
  producerName: string;
  /** `HERALD_KAFKA_NAMESPACE` of the deployment, when it has one. */
  namespace?: string;
  /**
   * Compression of each request (default gzip, as every Herald producer: a change near the
   * 900 KB limit then stays well under the broker's message size limit).
   */
  compression?: CompressionTypes;
}

/** kafkajs' `CompressionTypes.GZIP` (this lib imports kafkajs' types only). */
const GZIP = 1 as CompressionTypes.GZIP;

export class InvalidResourceChangeError extends Error {
  constructor(
    readonly index: number,
    readonly issues: string[],
  ) {
    super(`resource change #${index} is invalid: ${issues.join('; ')}`);
    this.name = 'InvalidResourceChangeError';
  }
}

/**
 * How an internal Node service publishes "resource changed" events straight to
 * `herald.resource-changes.v1`, without the domain API. It validates every event before anything
 * is sent (one invalid event fails the whole call, nothing is published), keys it by
 * `tenantId:resourceType:resourceId` (per-resource order) and sets the schema, producer and
 * trace headers. Give it an idempotent kafkajs producer (`idempotent: true`); it sends with acks=all.
 *
 *   const producer = kafka.producer({ idempotent: true });
 *   await producer.connect();
 *   const publisher = new ResourceChangePublisher(producer, { producerName: 'billing' });
 *   await publisher.publish({ eventId: randomUUID(), tenantId, resourceType: 'task', … });
 */
export class ResourceChangePublisher {
  constructor(
    private readonly producer: Producer,
    private readonly options: ResourceChangePublisherOptions,
  ) {}

  /** The wire topic this publisher writes to. */
  get topic(): string {
    return topicName(Topics.ResourceChanges, this.options.namespace);
  }

  async publish(changes: ResourceChange | readonly ResourceChange[]): Promise<void> {
    const list: readonly ResourceChange[] = Array.isArray(changes)
      ? changes
      : [changes as ResourceChange];
    if (list.length === 0) return;
    const messages = list.map((change, i) => this.toMessage(change, i));
    await this.producer.send({ topic: this.topic, acks: -1, messages, compression: this.options.compression ?? GZIP });
  }

  /** The Kafka message for one change (validated), for callers that batch across topics themselves. */
  toMessage(change: ResourceChange, index = 0): Message {
    const encoded = tryEncode(ResourceChangeContract, change, {
      trace: { [Headers.TraceParent]: change?.traceparent },
      headers: { [Headers.Producer]: this.options.producerName },
    });
    if (!encoded.ok) throw new InvalidResourceChangeError(index, issueLines(encoded.error));
    return encoded.message;
  }
}
