import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { context, propagation } from '@opentelemetry/api';
import { CompressionTypes, type Producer, type Message } from 'kafkajs';
import { encodeMessage, type MessageContract, type TopicSpec } from '@herald/contracts';
import { classifyFailure } from './failure-class';
import { KafkaClient, type KafkaCompression } from './kafka-client';

export interface RawMessage {
  key: string;
  value: string | Buffer | null;
  headers?: Record<string, string>;
}

/** kafkajs' codec for a `HERALD_KAFKA_COMPRESSION` value. */
export function compressionCodec(compression: KafkaCompression | undefined): CompressionTypes {
  if (compression === 'none') return CompressionTypes.None;
  return compression === 'lz4' ? CompressionTypes.LZ4 : CompressionTypes.GZIP;
}

/**
 * The one producer a service has: idempotent, acks=all, every request compressed with the
 * service's `HERALD_KAFKA_COMPRESSION` (gzip by default). `send` encodes each value with the
 * contracts' encoder (validated, keyed by the contract, schema header) and the active W3C trace
 * context; batching callers use `OutboundBatcher` on top of `sendRawBatch`.
 */
@Injectable()
export class HeraldProducer implements OnApplicationShutdown {
  private producer?: Producer;
  private connecting?: Promise<Producer>;

  /** What every request is compressed with. */
  readonly compression: CompressionTypes;

  constructor(private readonly client: KafkaClient) {
    this.compression = compressionCodec(client.settings.compression);
  }

  async send<T>(
    contract: MessageContract<T>,
    topic: TopicSpec,
    values: readonly T[],
    opts: { headers?: Record<string, string> } = {},
  ): Promise<void> {
    if (values.length === 0) return;
    const trace = currentTraceHeaders();
    await this.sendMessages(
      topic,
      values.map((v) => encodeMessage(contract, v, { trace, headers: opts.headers })),
    );
  }

  async sendTombstone(topic: TopicSpec, key: string): Promise<void> {
    await this.sendMessages(topic, [{ key, value: null }]);
  }

  /** Already-encoded messages: dead-letters, redrives. */
  async sendRaw(topic: TopicSpec, messages: readonly RawMessage[]): Promise<void> {
    await this.sendMessages(
      topic,
      messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
    );
  }

  /**
   * Already-encoded messages for several topics in ONE produce request, topics in the given order
   * (the dispatcher sends a batch's outcomes and retry-tier messages together).
   */
  async sendRawBatch(
    batches: readonly { topic: TopicSpec; messages: readonly RawMessage[] }[],
    opts: { compression?: CompressionTypes } = {},
  ): Promise<void> {
    const topicMessages = batches
      .filter((b) => b.messages.length > 0)
      .map((b) => ({
        topic: this.client.topic(b.topic),
        messages: b.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      }));
    if (topicMessages.length === 0) return;
    const producer = await this.connected();
    await this.resettingOnRefusal(producer, () => producer.sendBatch({ acks: -1, topicMessages, compression: opts.compression ?? this.compression }));
  }

  private async sendMessages(topic: TopicSpec, messages: Message[]): Promise<void> {
    const producer = await this.connected();
    await this.resettingOnRefusal(producer, () => producer.send({ topic: this.client.topic(topic), acks: -1, messages, compression: this.compression }));
  }

  /**
   * A request the broker refused (not a lost connection) may have been written in part: kafkajs
   * then rolls back the sequence numbers of every partition of the request, also of those the
   * broker wrote, and each later request to those partitions is refused as out of order. So
   * after a refusal the producer is replaced (a new producer id, fresh sequences): a retry
   * works, and what the broker had written may be written twice (at least once, never lost).
   */
  private async resettingOnRefusal<T>(producer: Producer, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e) {
      const failure = classifyFailure(e);
      if (failure.kind !== 'transient' || /SEQUENCE|PRODUCER/.test(failure.label)) await this.reset(producer);
      throw e;
    }
  }

  private async reset(producer: Producer): Promise<void> {
    if (this.producer !== producer) return; // replaced already
    this.producer = undefined;
    await producer.disconnect().catch(() => undefined);
  }

  private async connected(): Promise<Producer> {
    if (this.producer) return this.producer;
    this.connecting ??= (async () => {
      const p = this.client.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Bounded: a request path must get an error during an outage, not hang forever.
        retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5_000 },
      });
      await p.connect();
      this.producer = p;
      return p;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Does the cluster answer (a metadata request within 5 s)? The probe before a failure is blamed on a message. */
  async reachable(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const admin = await this.client.admin();
      await Promise.race([
        admin.describeCluster(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5_000))),
      ]);
      return true;
    } catch {
      return false;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
  }
}

/** The active trace context as Kafka headers (empty when tracing is off). */
export function currentTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}
