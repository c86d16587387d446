import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConsumerGroups, DeliveryContract, RetryTierTopics, type TopicSpec } from '@herald/contracts';
import { decodeMessage, type ConsumerDeps } from '@herald/platform/kafka';
import { dueAtOf, tierReleaseAt } from '@herald/delivery/retry-tiers';
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
    out.set(subscriptionId, { headTopic: head.topic, headId: head.deliveryId, headAttempt: head.attempt, dueAt: head.dueAt, releaseAt: head.releaseAt, members });
  }
  return out;
}

/**
 * Rebuilds the ordered-mode pipes after a restart (see `OrderedPipe`): reads every tier topic
 * from its tier group's committed offset to the end seen at start, before any dispatcher
 * consumer runs, and seeds the engine. A hook paused before the restart stays paused: its new
 * deliveries from the main topic are forwarded behind its head instead of overtaking it.
 */
export class OrderedPipeRebuilder {
  private readonly logger = new Logger('OrderedPipeRebuilder');

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly directory: EndpointDirectory,
    private readonly engine: DeliveryEngine,
  ) {}

  async rebuild(timeoutMs = 120_000): Promise<{ hooks: number; scanned: number }> {
    const { client } = this.deps;
    const admin = await client.admin();
    const byWire = new Map(RetryTierTopics.map((t) => [client.topic(t), t]));
    // Per wire topic and partition: [first offset to read, last offset to read].
    const ranges = new Map<string, [bigint, bigint]>();
    for (const tier of RetryTierTopics) {
      const wire = client.topic(tier);
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(wire),
        admin.fetchOffsets({ groupId: client.group(ConsumerGroups.DeliveryDispatcherRetryTier(tier.name)), topics: [wire] }),
      ]);
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      for (const p of ends) {
        const c = done.get(p.partition) ?? -1n;
        const from = c >= 0n ? c : BigInt(p.low);
        const high = BigInt(p.high);
        if (from < high) ranges.set(`${wire}:${p.partition}`, [from, high - 1n]);
      }
    }
    if (ranges.size === 0) return { hooks: 0, scanned: 0 };

    const parked = new Map<string, Parked[]>();
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
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            if (offset < range[0] || offset > range[1]) continue;
            scanned++;
            const decoded = decodeMessage(DeliveryContract, message);
            if (decoded.kind === 'value') {
              const d = decoded.value;
              const ep = this.directory.lookup(d.subscriptionId);
              if (ep.kind === 'found' && ep.endpoint.deliveryMode === 'ordered') {
                let list = parked.get(d.subscriptionId);
                if (!list) parked.set(d.subscriptionId, (list = []));
                const dueAt = dueAtOf(message) ?? Date.now();
                const releaseAt = Math.min(dueAt, tierReleaseAt(tier, message) ?? dueAt);
                list.push({ topic: tier, partition: batch.partition, offset, deliveryId: d.deliveryId, attempt: d.attempt, dueAt, releaseAt });
              }
            }
            if (offset >= range[1] && remaining.delete(key) && remaining.size === 0) finished();
          }
        },
      });
      for (const [key, [from]] of ranges) {
        const i = key.lastIndexOf(':');
        consumer.seek({ topic: key.slice(0, i), partition: Number(key.slice(i + 1)), offset: from.toString() });
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        allRead.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) this.logger.warn(`tier scan did not finish in ${timeoutMs} ms (${remaining.size} partitions left); ordered pipes may be incomplete`);
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteGroups([scanGroup]).catch(() => undefined);
    }
    const pipes = pipesFromParked(parked);
    for (const [id, seed] of pipes) this.engine.seedPipe(id, seed);
    if (pipes.size > 0) this.logger.log(`rebuilt ${pipes.size} ordered-mode pipes from ${scanned} parked deliveries`);
    return { hooks: pipes.size, scanned };
  }
}
