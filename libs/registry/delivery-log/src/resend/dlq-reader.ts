import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { KafkaMessage } from 'kafkajs';
import type { TopicSpec } from '@herald/contracts';
import { KafkaClient } from '@herald/platform/kafka';

export interface OffsetRange {
  partition: number;
  /** First offset to read. */
  from: string;
  /** One past the last offset to read (the high watermark when the read started). */
  to: string;
}

export interface ReadMessage {
  partition: number;
  offset: string;
  message: KafkaMessage;
}

/**
 * Reads fixed offset ranges of a topic once, outside any long-lived consumer group: a
 * throw-away group (never committed) seeks each partition to its start and stops when every
 * range is read. kafkajs has no manual partition assignment, hence the group.
 */
@Injectable()
export class TopicRangeReader {
  constructor(private readonly client: KafkaClient) {}

  /** High watermark and low offset of every partition now. */
  async bounds(spec: TopicSpec): Promise<{ partition: number; low: string; high: string }[]> {
    const admin = await this.client.admin();
    const offsets = await admin.fetchTopicOffsets(this.client.topic(spec));
    return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
  }

  /** Only the messages `keep` accepts are held in memory (a DLQ can be large; a redrive wants one key). */
  async read(
    spec: TopicSpec,
    ranges: readonly OffsetRange[],
    opts: { keep?: (message: KafkaMessage) => boolean; timeoutMs?: number } = {},
  ): Promise<ReadMessage[]> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const keep = opts.keep ?? (() => true);
    const wanted = ranges.filter((r) => BigInt(r.from) < BigInt(r.to));
    if (wanted.length === 0) return [];
    const topic = this.client.topic(spec);
    const consumer = this.client.kafka.consumer({
      groupId: this.client.group(`herald.subscription-registry.range-reader.${randomUUID()}`),
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    const byPartition = new Map(wanted.map((r) => [r.partition, r]));
    const pending = new Set(byPartition.keys());
    const out: ReadMessage[] = [];
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const done = new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `reading ${topic} did not finish within ${timeoutMs} ms (partitions left: ${[...pending].join(',')})`,
              ),
            ),
          timeoutMs,
        );
        void consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const range = byPartition.get(batch.partition);
            if (!range || !pending.has(batch.partition)) return;
            const from = BigInt(range.from);
            const to = BigInt(range.to);
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              if (offset >= from && offset < to && keep(message))
                out.push({ partition: batch.partition, offset: message.offset, message });
              if (offset >= to - 1n) pending.delete(batch.partition);
            }
            // Compaction or transaction markers can leave the last offsets empty: the batch's
            // high watermark tells whether this partition has been read to its end.
            if (BigInt(batch.highWatermark) >= to && BigInt(batch.lastOffset()) >= to - 1n)
              pending.delete(batch.partition);
            if (pending.size === 0) resolve();
          },
        });
        consumer.on(consumer.events.GROUP_JOIN, () => {
          for (const r of wanted) consumer.seek({ topic, partition: r.partition, offset: r.from });
        });
      });
      await done;
      return out.sort(
        (a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1),
      );
    } finally {
      if (timer) clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
    }
  }
}
