import type { KafkaMessage } from 'kafkajs';
import { ConsumerGroups, Headers, type TopicSpec } from '@herald/contracts';
import type { ConsumerDeps } from '@herald/platform/kafka';
import { TrackedConsumer, type TrackedHandler } from './tracked-consumer';

/** The due time a tier message carries (`Headers.DueAt`, epoch ms); null when absent or unreadable (due now). */
export function dueAtOf(message: Pick<KafkaMessage, 'headers'>): number | null {
  const raw = message.headers?.[Headers.DueAt];
  const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (v === undefined || v === null) return null;
  const n = Number(v.toString());
  return Number.isFinite(n) ? n : null;
}

/**
 * One consumer group member per retry tier topic (`herald.deliveries.retry.<delay>`): it waits
 * until the head message of each partition is due — pausing that partition and resuming it at
 * the due time — and then hands the delivery over exactly like a fresh one from the main topic.
 * Each tier has its own group, so a long tier never holds back a short one or the main topic.
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
        dueAt: dueAtOf,
      },
      handler,
    );
  }
}
