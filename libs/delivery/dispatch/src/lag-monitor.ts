import { Logger } from '@nestjs/common';
import { ConsumerGroups, RetryTierTopics, Topics, retryTierLabel, RETRY_TIER_DELAYS_MS, type TopicSpec } from '@herald/contracts';
import type { ConsumerDeps } from '@herald/platform/kafka';
import type { DispatchMetrics } from './dispatch-metrics';

/**
 * Consumer lag of the dispatcher's group on the deliveries topic (`herald_consumer_lag`, also
 * for paused partitions, which fetch no batches) and the depth of each retry tier — what waits
 * there, read by the same group (`herald_retry_tier_depth{tier}`; not lag: retries wait by
 * design) — read from the broker every `intervalMs`.
 */
export class LagMonitor {
  private readonly logger = new Logger('LagMonitor');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly metrics: DispatchMetrics,
    private readonly intervalMs = 10_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll().catch((e: Error) => this.logger.debug(`lag poll failed: ${e.message}`)), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async poll(): Promise<void> {
    const groups: [TopicSpec, string, string | null][] = [
      [Topics.Deliveries, ConsumerGroups.DeliveryDispatcher, null],
      // One group reads the deliveries topic and every tier (co-partitioned).
      ...RetryTierTopics.map((t, i): [TopicSpec, string, string] => [t, ConsumerGroups.DeliveryDispatcher, retryTierLabel(RETRY_TIER_DELAYS_MS[i])]),
    ];
    const admin = await this.deps.client.admin();
    for (const [spec, group, tier] of groups) {
      const wire = this.deps.client.topic(spec);
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(wire),
        admin.fetchOffsets({ groupId: this.deps.client.group(group), topics: [wire] }),
      ]);
      const at = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      let depth = 0;
      for (const p of ends) {
        const c = at.get(p.partition) ?? -1;
        const lag = Math.max(0, Number(p.high) - (c >= 0 ? c : Number(p.low)));
        depth += lag;
        if (!tier) this.deps.lag.set({ group, topic: wire, partition: String(p.partition) }, lag);
      }
      if (tier) this.metrics.tierDepth.set({ tier }, depth);
    }
  }
}
