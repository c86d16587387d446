import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { context, propagation } from '@opentelemetry/api';
import type { CompressionTypes, Producer, Message } from 'kafkajs';
import { encodeMessage, type MessageContract, type TopicSpec } from '@herald/contracts';
import { KafkaClient } from './kafka-client';

export interface RawMessage {
  key: string;
  value: string | Buffer | null;
  headers?: Record<string, string>;
}

/**
 * The one producer a service has: idempotent, acks=all. `send` encodes each value with the
 * contracts' encoder (validated, keyed by the contract, schema header) and the active W3C trace
 * context; batching callers use `OutboundBatcher` on top of `sendRawBatch`.
 */
@Injectable()
export class HeraldProducer implements OnApplicationShutdown {
  private producer?: Producer;
  private connecting?: Promise<Producer>;

  constructor(private readonly client: KafkaClient) {}

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
   * (the event-router sends a batch's `queued` outcomes and its deliveries together).
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
    await producer.sendBatch({ acks: -1, topicMessages, compression: opts.compression });
  }

  private async sendMessages(topic: TopicSpec, messages: Message[]): Promise<void> {
    const producer = await this.connected();
    await producer.send({ topic: this.client.topic(topic), acks: -1, messages });
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
