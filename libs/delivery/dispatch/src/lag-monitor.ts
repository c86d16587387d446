import { Logger } from '@nestjs/common';
import { ConsumerGroups, RetryTierTopics, Topics, retryTierLabel, RETRY_TIER_DELAYS_MS, type TopicSpec } from '@herald/contracts';
import type { ConsumerDeps } from '@herald/platform/kafka';
import type { DispatchMetrics } from './dispatch-metrics';

/**
 * Consumer lag of the dispatcher's group on the deliveries topic (`herald_consumer_lag`, also
 * for paused partitions, which fetch no batches) and the depth of each retry tier — what waits
 * there, read by the same group (`herald_retry_tier_depth{tier}`; not lag: retries wait by
 * design) — read from the broker every `intervalMs`: 30 s (was 10 s). Each poll is ~30 requests
 * (kafkajs' admin refreshes metadata for every call, and lists the earliest and latest offsets of
 * a topic apart), whether anything moved or not: at 10 s, most of what an idle dispatcher asked of
 * the broker (issue 14). A partition that fetches has its lag set by every batch it gets anyway.
 */
export class LagMonitor {
  private readonly logger = new Logger('LagMonitor');
  private timer?: NodeJS.Timeout;
  private first?: NodeJS.Timeout;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly metrics: DispatchMetrics,
    private readonly intervalMs = 30_000,
    private readonly firstAfterMs = 5_000,
  ) {}

  start(): void {
    const poll = () => void this.poll().catch((e: Error) => this.logger.debug(`lag poll failed: ${e.message}`));
    // A first reading soon after start (the group has joined by then), not a whole interval on:
    // the lag and tier depths of paused partitions would otherwise be unknown for 30 s.
    this.first = setTimeout(poll, Math.min(this.firstAfterMs, this.intervalMs));
    this.first.unref();
    this.timer = setInterval(poll, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.first) clearTimeout(this.first);
    if (this.timer) clearInterval(this.timer);
  }

  async poll(): Promise<void> {
    // One group reads the deliveries topic and every tier (co-partitioned): its committed offsets
    // of all of them in one OffsetFetch (was one FindCoordinator and one OffsetFetch per topic,
    // 8 of each every poll — most of an idle dispatcher's requests to the broker).
    const topics: [TopicSpec, string | null][] = [
      [Topics.Deliveries, null],
      ...RetryTierTopics.map((t, i): [TopicSpec, string] => [t, retryTierLabel(RETRY_TIER_DELAYS_MS[i])]),
    ];
    const group = ConsumerGroups.DeliveryDispatcher;
    const wires = topics.map(([spec]) => this.deps.client.topic(spec));
    const admin = await this.deps.client.admin();
    const [committed, ends] = await Promise.all([
      admin.fetchOffsets({ groupId: this.deps.client.group(group), topics: wires }),
      Promise.all(wires.map((wire) => admin.fetchTopicOffsets(wire))),
    ]);
    const committedOf = new Map(committed.map((t) => [t.topic, new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]))]));
    topics.forEach(([, tier], i) => {
      const wire = wires[i];
      const at = committedOf.get(wire) ?? new Map<number, number>();
      let depth = 0;
      for (const p of ends[i]) {
        const c = at.get(p.partition) ?? -1;
        const lag = Math.max(0, Number(p.high) - (c >= 0 ? c : Number(p.low)));
        depth += lag;
        if (!tier) this.deps.lag.set({ group, topic: wire, partition: String(p.partition) }, lag);
      }
      if (tier) this.metrics.tierDepth.set({ tier }, depth);
    });
  }
}
