import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { ConsumerGroups, type MessageContract, type TopicSpec } from '@herald/contracts';
import { ConsumerDeps } from './consumer-deps';
import { decodeMessage } from './decode';

export type ViewListener<T> = (key: string, value: T | null, previous: T | undefined) => void;

/**
 * A compacted topic materialised in memory: every instance reads the whole topic from the
 * beginning (its own throw-away group, nothing committed) and then follows it. `caughtUp`
 * resolves once it has read up to the end offsets seen at start, and readiness says so until
 * then — a router must not route against a half-loaded set.
 */
export class CompactedTopicView<T, K = T> {
  private readonly logger: Logger;
  private readonly entries = new Map<string, K>();
  private readonly listeners: ViewListener<K>[] = [];
  private consumer?: Consumer;
  private readonly group: string;
  private resolveCaughtUp!: () => void;
  private caught = false;
  private lastError: string | null = null;
  readonly caughtUp: Promise<void>;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly contract: MessageContract<T>,
    private readonly topic: TopicSpec,
    /** For logs, readiness and the group name. */
    private readonly name: string,
    /** Keep the newer of two values (e.g. by snapshot version); default: last one wins. */
    private readonly isNewer: (incoming: K, held: K) => boolean = () => true,
    /**
     * What is kept of each value (default: all of it): a reader that needs a few of its fields
     * holds only those, for every key of the topic (the dispatcher's subscriptions).
     */
    private readonly keep: (value: T) => K = (value) => value as unknown as K,
  ) {
    this.logger = new Logger(`View:${name}`);
    this.group = `${deps.client.group(ConsumerGroups.View(name))}.${randomUUID()}`;
    this.caughtUp = new Promise((r) => (this.resolveCaughtUp = r));
    deps.readiness.register({
      name: `view:${name}`,
      check: async () => {
        if (!this.caught) throw new Error(`still loading ${this.topic.name} (${this.entries.size} entries so far)`);
        if (this.lastError) throw new Error(this.lastError);
      },
    });
  }

  get isCaughtUp(): boolean {
    return this.caught;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): K | undefined {
    return this.entries.get(key);
  }

  values(): IterableIterator<K> {
    return this.entries.values();
  }

  onChange(listener: ViewListener<K>): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    const { client } = this.deps;
    const admin = await client.admin();
    const topic = client.topic(this.topic);
    const ends = await admin.fetchTopicOffsets(topic);
    // Partitions still to read up to their end offset at start (high watermark is the next offset).
    const remaining = new Map<number, bigint>();
    for (const p of ends) {
      if (BigInt(p.high) > BigInt(p.low)) remaining.set(p.partition, BigInt(p.high) - 1n);
    }
    const markIfCaughtUp = () => {
      if (!this.caught && remaining.size === 0) {
        this.caught = true;
        this.logger.log(`caught up: ${this.entries.size} entries from ${topic}`);
        this.resolveCaughtUp();
      }
    };
    markIfCaughtUp();

    const consumer = client.kafka.consumer({ groupId: this.group, allowAutoTopicCreation: false });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) => {
      this.lastError = `crashed: ${(e.payload as { error: Error }).error.message}`;
      this.logger.warn(this.lastError);
    });
    consumer.on(consumer.events.FETCH, () => (this.lastError = null));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const decoded = decodeMessage(this.contract, message);
          if (decoded.kind === 'invalid') {
            await this.deps.deadLetters.deadLetter(
              this.contract.dlq,
              { topic: batch.topic, partition: batch.partition, offset: message.offset },
              message,
              decoded.reason,
            );
          } else {
            this.apply(decoded.key, decoded.kind === 'value' ? decoded.value : null);
          }
          const target = remaining.get(batch.partition);
          if (target !== undefined && BigInt(message.offset) >= target) remaining.delete(batch.partition);
        }
        markIfCaughtUp();
      },
    });
  }

  /** Applies a value as if it had been read from the topic (the producer's own write, read-your-writes). */
  apply(key: string, value: T | null): void {
    const previous = this.entries.get(key);
    const kept = value === null ? null : this.keep(value);
    if (kept === null) {
      if (previous === undefined) return;
      this.entries.delete(key);
    } else {
      if (previous !== undefined && !this.isNewer(kept, previous)) return;
      this.entries.set(key, kept);
    }
    for (const l of this.listeners) l(key, kept, previous);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    const admin = await this.deps.client.admin().catch(() => undefined);
    await admin?.deleteGroups([this.group]).catch(() => undefined);
  }
}
