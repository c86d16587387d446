import { ConsumerGroups, retryTierDelayMs, type TopicSpec } from '@herald/contracts';
import type { ConsumerDeps } from '@herald/platform/kafka';
import { releaseAtOf } from './tier-timing';
import { TrackedConsumer, type TrackedHandler } from './tracked-consumer';

/** When a message of a tier topic is handed over (null for any other topic: at once). */
export function tierReleaseAt(spec: TopicSpec, message: Parameters<typeof releaseAtOf>[0]): number | null {
  const delay = retryTierDelayMs(spec);
  return delay === undefined ? null : releaseAtOf(message, delay);
}

/**
 * One consumer group member per retry tier topic (`herald.deliveries.retry.<delay>`): it waits
 * until the head message of each partition is released (`releaseAtOf`: when it is due, but
 * never later than the tier's delay after it was written) — pausing that partition and resuming
 * it then — and hands the delivery over exactly like a fresh one from the main topic (the engine
 * sends it, or hops it on when it is not due yet). Each tier has its own group, so a long tier
 * never holds back a short one or the main topic.
 */
export class RetryTierConsumer extends TrackedConsumer {
  constructor(deps: ConsumerDeps, tier: TopicSpec, handler: TrackedHandler, opts: { maxPendingPerPartition: number }) {
    super(
      deps,
      {
        name: `retry-tier:${tier.name}`,
        topics: [tier],
        groupId: ConsumerGroups.DeliveryDispatcherRetryTier(tier.name),
        maxPendingPerPartition: opts.maxPendingPerPartition,
        releaseAt: tierReleaseAt,
        // Seven tier consumers idle most of the time: a second's wait makes them 7 fetches a
        // second instead of 35 (the dispatcher's idle CPU and the broker's), and a retry is
        // handed over at most a second after it is due (the shortest tier is 1 s).
        maxWaitMs: 1_000,
      },
      handler,
    );
  }
}
