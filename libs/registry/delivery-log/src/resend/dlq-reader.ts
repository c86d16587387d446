import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { KafkaMessage } from 'kafkajs';
import { ConsumerGroups, type TopicSpec } from '@herald/contracts';
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

  /**
   * Reads fixed offset ranges once, a fetch batch at a time, and hands each batch to `onBatch`
   * before the next is fetched (memory holds one batch: at most `maxBytes`). `onBatch` gets the
   * partition, the batch's messages inside the range and the next offset to read after them.
   * Rejects if no batch arrives for `stallMs` while ranges are left, or when `onBatch` throws.
   * `onBatch` returning false stops the scan early.
   */
  async scan(
    spec: TopicSpec,
    ranges: readonly OffsetRange[],
    onBatch: (batch: { partition: number; messages: ReadMessage[]; next: string }) => Promise<boolean | void>,
    opts: { stallMs?: number; maxBytes?: number } = {},
  ): Promise<void> {
    const stallMs = opts.stallMs ?? 30_000;
    const maxBytes = opts.maxBytes ?? 1024 * 1024;
    const wanted = ranges.filter((r) => BigInt(r.from) < BigInt(r.to));
    if (wanted.length === 0) return;
    const topic = this.client.topic(spec);
    const consumer = this.client.kafka.consumer({
      groupId: `${this.client.group(ConsumerGroups.SubscriptionRegistryRangeReader)}.${randomUUID()}`,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 1_000,
      maxBytesPerPartition: maxBytes,
      maxBytes,
    });
    const byPartition = new Map(wanted.map((r) => [r.partition, { ...r }]));
    const pending = new Set(byPartition.keys());
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        const fail = (e: unknown) => {
          if (settled) return;
          settled = true;
          reject(e);
        };
        const stall = () => {
          if (timer) clearTimeout(timer);
          timer = setTimeout(
            () => fail(new Error(`reading ${topic} stalled: no message for ${stallMs} ms (partitions left: ${[...pending].join(',')})`)),
            stallMs,
          );
        };
        stall();
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch, heartbeat }) => {
              if (settled) return;
              const range = byPartition.get(batch.partition);
              if (!range || !pending.has(batch.partition)) return;
              stall();
              const from = BigInt(range.from);
              const to = BigInt(range.to);
              const messages: ReadMessage[] = [];
              let next = from;
              for (const message of batch.messages) {
                const offset = BigInt(message.offset);
                if (offset < from || offset >= to) continue;
                messages.push({ partition: batch.partition, offset: message.offset, message });
                next = offset + 1n;
              }
              // Compaction or transaction markers can leave the last offsets empty: the batch's
              // last offset tells how far this partition has been read.
              const last = BigInt(batch.lastOffset());
              if (last + 1n > next) next = last + 1n > to ? to : last + 1n;
              if (next <= from && messages.length === 0) return;
              try {
                const more = await onBatch({ partition: batch.partition, messages, next: String(next) });
                await heartbeat();
                range.from = String(next);
                if (next >= to) pending.delete(batch.partition);
                if (more === false || pending.size === 0) {
                  settled = true;
                  resolve();
                }
              } catch (e) {
                fail(e);
              }
            },
          })
          .catch(fail);
        consumer.on(consumer.events.GROUP_JOIN, () => {
          for (const r of byPartition.values()) if (pending.has(r.partition)) consumer.seek({ topic, partition: r.partition, offset: r.from });
        });
      });
    } finally {
      if (timer) clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
    }
  }
}
