import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConsumerGroups, DeliveryContract, RetryTierTopics, retryTierDelayMs, type TopicSpec } from '@herald/contracts';
import { decodeMessage, type ConsumerDeps } from '@herald/platform/kafka';
import { dueAtOf, tierReleaseAt, type AssignmentChange, type TopicPartition } from '@herald/delivery/retry-tiers';
import type { EndpointDirectory } from './endpoint-directory';
import type { DeliveryEngine, PipeSeed } from './delivery-engine';

interface Parked {
  topic: TopicSpec;
  partition: number;
  offset: bigint;
  deliveryId: string;
  attempt: number;
  dueAt: number;
  releaseAt: number;
}

/**
 * Picks each ordered hook's pipe from what its deliveries left in the tier topics: the head is
 * the one with the highest attempt (the latest copy when there are several), the pipe is the
 * topic that holds it, and its members are the hook's messages there from the head on.
 */
export function pipesFromParked(parked: Map<string, Parked[]>): Map<string, PipeSeed> {
  const out = new Map<string, PipeSeed>();
  for (const [subscriptionId, list] of parked) {
    let head = list[0];
    // A hop re-parks the head with its attempt and due time: the later copy is released later.
    const later = (p: Parked) => p.dueAt > head.dueAt || (p.dueAt === head.dueAt && p.releaseAt >= head.releaseAt);
    for (const p of list) if (p.attempt > head.attempt || (p.attempt === head.attempt && p.deliveryId === head.deliveryId && later(p))) head = p;
    const members = list
      .filter((p) => p.topic === head.topic && p.partition === head.partition && p.offset >= head.offset)
      .sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0))
      .map((p) => [p.deliveryId, p.attempt] as const);
    out.set(subscriptionId, { headTopic: head.topic, headId: head.deliveryId, headAttempt: head.attempt, dueAt: head.dueAt, releaseAt: head.releaseAt, members, headOffset: head.offset.toString() });
  }
  return out;
}

/**
 * Prepares the dispatcher for the partitions a rebalance gave it and forgets those it lost.
 * The dispatcher reads the deliveries topic and every retry tier in one group, co-partitioned
 * (`coPartitionedAssigner`): partition p of each is one member's, so an ordered hook's state —
 * its pipe, i.e. its failing head and what waits behind it in a tier (see `OrderedPipe`) — is
 * one process's and moves as a whole. Before any message of a partition it got is handed over,
 * this reads the partition in every tier from the group's committed offset to its end and seeds
 * the pipe of each ordered hook found parked there: a hook paused on the member that had the
 * partition before (crashed, or moved by a rebalance) stays paused here, and its new deliveries
 * are forwarded behind its head instead of overtaking it. The tier messages that member had
 * finished above the committed offset (recorded in its commit's metadata,
 * `AssignmentChange.finishedBefore`) are left out: the consumer does not hand them over again,
 * so a pipe counting them would wait for them for ever. What it queued or held from the
 * partitions it lost is let go, and the pipes in their tier partitions are dropped (their
 * unfinished deliveries are the new owner's, from the committed offset): per topic and partition,
 * as the round-robin fallback may take one topic's partition p and leave another's
 * (`DeliveryEngine.forgetPartitions`).
 *
 * A tier partition the group never committed is started where the tier's own group of earlier
 * versions (one group per tier) had got to, so an upgrade neither loses nor repeats retries.
 */
export class OrderedPipeRebuilder {
  private readonly logger = new Logger('OrderedPipeRebuilder');
  /** Ordered hooks whose pipe was rebuilt, over every assignment (diagnostics, tests). */
  rebuilt = 0;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly directory: EndpointDirectory,
    private readonly engine: DeliveryEngine,
    private readonly timeoutMs = 120_000,
  ) {}

  /** The `onRevoked` of the dispatcher's consumer. */
  readonly revoked = (revoked: TopicPartition[]): void => this.engine.forgetPartitions(revoked);

  /** The `onAssigned` of the dispatcher's consumer. */
  readonly prepare = async (change: AssignmentChange): Promise<void> => {
    const tiers = change.added.filter((tp) => retryTierDelayMs(tp.topic) !== undefined);
    if (tiers.length === 0) return;
    const { ranges, ends } = await this.ranges(tiers, change.seek);
    const finished = new Map<string, ReadonlySet<bigint>>();
    for (const tp of tiers) finished.set(`${this.deps.client.topic(tp.topic)}:${tp.partition}`, await change.finishedBefore(tp));
    const { hooks } = await this.scan(ranges, ends, finished);
    this.rebuilt += hooks;
  };

  /** Per wire topic and partition: [first offset to read, last offset to read] (the start sought for a migrated partition). */
  private async ranges(tiers: TopicPartition[], seek: AssignmentChange['seek']): Promise<{ ranges: Map<string, [bigint, bigint]>; ends: Map<string, bigint> }> {
    const { client } = this.deps;
    const admin = await client.admin();
    const ranges = new Map<string, [bigint, bigint]>();
    // Every partition's end, so the scan skips the ones it has nothing to read in.
    const ends = new Map<string, bigint>();
    for (const tier of new Set(tiers.map((tp) => tp.topic))) {
      const wire = client.topic(tier);
      const partitions = new Set(tiers.filter((tp) => tp.topic === tier).map((tp) => tp.partition));
      const [offsets, committed, legacy] = await Promise.all([
        admin.fetchTopicOffsets(wire),
        admin.fetchOffsets({ groupId: client.group(ConsumerGroups.DeliveryDispatcher), topics: [wire] }),
        admin.fetchOffsets({ groupId: client.group(ConsumerGroups.DeliveryDispatcherRetryTier(tier.name)), topics: [wire] }),
      ]);
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      const before = new Map((legacy[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      for (const p of offsets) {
        ends.set(`${wire}:${p.partition}`, BigInt(p.high));
        if (!partitions.has(p.partition)) continue;
        let from = done.get(p.partition) ?? -1n;
        if (from < 0n && (before.get(p.partition) ?? -1n) >= 0n) {
          from = before.get(p.partition) as bigint;
          seek({ topic: tier, partition: p.partition }, from.toString());
        }
        if (from < 0n) from = BigInt(p.low);
        const high = BigInt(p.high);
        if (from < high) ranges.set(`${wire}:${p.partition}`, [from, high - 1n]);
      }
    }
    return { ranges, ends };
  }

  private async scan(
    ranges: Map<string, [bigint, bigint]>,
    ends: Map<string, bigint>,
    finishedBefore: ReadonlyMap<string, ReadonlySet<bigint>> = new Map(),
  ): Promise<{ hooks: number; scanned: number }> {
    const { client } = this.deps;
    if (ranges.size === 0) return { hooks: 0, scanned: 0 };
    const admin = await client.admin();
    const byWire = new Map(RetryTierTopics.map((t) => [client.topic(t), t]));
    const parked = new Map<string, Parked[]>();
    const partitionOf = new Map<string, number>();
    let scanned = 0;
    const scanGroup = `${client.group(ConsumerGroups.DeliveryDispatcherPipeRebuild)}.${randomUUID()}`;
    const consumer = client.kafka.consumer({ groupId: scanGroup, allowAutoTopicCreation: false });
    const remaining = new Set(ranges.keys());
    let finished!: () => void;
    const allRead = new Promise<void>((r) => (finished = r));
    try {
      await consumer.connect();
      const topics = [...new Set([...ranges.keys()].map((k) => k.slice(0, k.lastIndexOf(':'))))];
      for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const key = `${batch.topic}:${batch.partition}`;
          const range = ranges.get(key);
          const tier = byWire.get(batch.topic);
          if (!range || !tier) return;
          const done = finishedBefore.get(key);
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            if (offset < range[0] || offset > range[1]) continue;
            scanned++;
            const decoded = done?.has(offset) ? null : decodeMessage(DeliveryContract, message);
            if (decoded?.kind === 'value') {
              const d = decoded.value;
              const ep = this.directory.lookup(d.subscriptionId);
              if (ep.kind === 'found' && ep.endpoint.deliveryMode === 'ordered') {
                let list = parked.get(d.subscriptionId);
                if (!list) parked.set(d.subscriptionId, (list = []));
                const dueAt = dueAtOf(message) ?? Date.now();
                const releaseAt = Math.min(dueAt, tierReleaseAt(tier, message) ?? dueAt);
                list.push({ topic: tier, partition: batch.partition, offset, deliveryId: d.deliveryId, attempt: d.attempt, dueAt, releaseAt });
                partitionOf.set(d.subscriptionId, batch.partition);
              }
            }
            if (offset >= range[1] && remaining.delete(key) && remaining.size === 0) finished();
          }
        },
      });
      for (const [key, end] of ends) {
        const i = key.lastIndexOf(':');
        const from = ranges.get(key)?.[0] ?? end; // the others: at their end, nothing to read
        consumer.seek({ topic: key.slice(0, i), partition: Number(key.slice(i + 1)), offset: from.toString() });
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        allRead.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), this.timeoutMs))),
      ]);
      clearTimeout(timer);
      // Retried by the consumer (the partitions stay paused): a pipe missed would let a hook's new deliveries overtake its head.
      if (timedOut) throw new Error(`tier scan did not finish in ${this.timeoutMs} ms (${remaining.size} partitions left)`);
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteGroups([scanGroup]).catch(() => undefined);
    }
    const pipes = pipesFromParked(parked);
    let seeded = 0;
    for (const [id, seed] of pipes) if (this.engine.seedPipe(id, seed, partitionOf.get(id))) seeded++;
    if (seeded > 0) this.logger.log(`rebuilt ${seeded} ordered-mode pipes from ${scanned} parked deliveries`);
    return { hooks: seeded, scanned };
  }
}
