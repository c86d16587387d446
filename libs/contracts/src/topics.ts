/**
 * Every Kafka topic Herald uses, with its partition count, its configs and its key.
 * Nobody else spells a topic name: producers and consumers take a `TopicSpec` from here and
 * resolve it through `topicName()` so that a namespace (tests, blue/green) can be applied.
 */

export interface TopicSpec {
  /** Logical name, versioned: the wire name is this, prefixed by the namespace when one is set. */
  readonly name: string;
  readonly partitions: number;
  readonly configs: Readonly<Record<string, string>>;
  /** What the key is and why, for the README and the k8s KafkaTopic resources. */
  readonly keyDoc: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const Topics = {
  ResourceChanges: {
    name: 'herald.resource-changes.v1',
    partitions: 12,
    configs: { 'retention.ms': String(7 * DAY_MS) },
    keyDoc: 'tenantId:resourceType:resourceId — per-resource order',
  },
  ResourceChangesDlq: {
    name: 'herald.resource-changes.v1.dlq',
    partitions: 1,
    configs: { 'retention.ms': String(28 * DAY_MS) },
    keyDoc: 'the original key — invalid events, replayable',
  },
  Subscriptions: {
    name: 'herald.subscriptions.v1',
    partitions: 6,
    configs: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(DAY_MS) },
    keyDoc: 'subscriptionId — latest snapshot wins; tombstone on delete',
  },
  Principals: {
    name: 'herald.principals.v1',
    partitions: 3,
    configs: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(DAY_MS) },
    keyDoc: 'tenantId:principalId — tenants, users and API-key hashes; never a key in clear',
  },
  Deliveries: {
    name: 'herald.deliveries.v1',
    partitions: 12,
    configs: { 'retention.ms': String(7 * DAY_MS) },
    keyDoc: 'subscriptionId — per-endpoint order, connection reuse, per-endpoint limits',
  },
  DeliveriesDlq: {
    name: 'herald.deliveries.dlq',
    partitions: 3,
    configs: { 'retention.ms': String(28 * DAY_MS) },
    keyDoc: 'subscriptionId — exhausted deliveries and poison messages, replayable',
  },
  DeliveryOutcomes: {
    name: 'herald.delivery-outcomes.v1',
    partitions: 6,
    configs: { 'retention.ms': String(7 * DAY_MS) },
    keyDoc: 'subscriptionId — every attempt, for the log and hook health',
  },
} as const satisfies Record<string, TopicSpec>;

/**
 * Retry tiers: one topic per delay. A delivery that must wait `d` goes to the largest tier whose
 * delay is <= d, with its exact due time in a header (`herald-due-at`) and the time the tier
 * hands it over (`herald-release-at`): its due time, but never later than the tier's own delay
 * after it was written. A tier's consumer pauses a partition until its head is released, so no
 * message holds a tier partition longer than the tier's delay; one released before it is due
 * hops on to the tier of what is left of its wait (the same tier or a shorter one). Tiers never
 * block each other or the main topic.
 */
export const RETRY_TIER_DELAYS_MS = [1_000, 5_000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000] as const;

export function retryTierLabel(delayMs: number): string {
  if (delayMs % 3_600_000 === 0) return `${delayMs / 3_600_000}h`;
  if (delayMs % 60_000 === 0) return `${delayMs / 60_000}m`;
  if (delayMs % 1_000 === 0) return `${delayMs / 1_000}s`;
  return `${delayMs}ms`;
}

export const RetryTierTopics: readonly TopicSpec[] = RETRY_TIER_DELAYS_MS.map((delayMs) => ({
  name: `herald.deliveries.retry.${retryTierLabel(delayMs)}`,
  partitions: 12,
  configs: { 'retention.ms': String(Math.max(7 * DAY_MS, delayMs * 4)) },
  keyDoc: 'subscriptionId — non-blocking retries, one topic per delay tier',
}));

/** The tier a delay goes to: the largest tier not longer than the delay (the first for shorter ones). */
export function retryTierFor(delayMs: number): { spec: TopicSpec; tierDelayMs: number } {
  let index = 0;
  RETRY_TIER_DELAYS_MS.forEach((tier, i) => {
    if (tier <= delayMs) index = i;
  });
  return { spec: RetryTierTopics[index], tierDelayMs: RETRY_TIER_DELAYS_MS[index] };
}

/** The delay of a retry tier topic (undefined for any other topic). */
export function retryTierDelayMs(spec: TopicSpec): number | undefined {
  const i = RetryTierTopics.findIndex((t) => t.name === spec.name);
  return i >= 0 ? RETRY_TIER_DELAYS_MS[i] : undefined;
}

export const ALL_TOPICS: readonly TopicSpec[] = [...Object.values(Topics), ...RetryTierTopics];

/** Consumer group ids, versioned with their topics. */
export const ConsumerGroups = {
  EventRouter: 'herald.event-router.v1',
  SubscriptionRegistryPrincipals: 'herald.subscription-registry.principals.v1',
  SubscriptionRegistryOutcomes: 'herald.subscription-registry.outcomes.v1',
  /** The registry logs each delivery as Queued (with its body) from herald.deliveries.v1 itself. */
  SubscriptionRegistryDeliveries: 'herald.subscription-registry.deliveries.v1',
  SubscriptionRegistryResourceChanges: 'herald.subscription-registry.resource-changes.v1',
  DeliveryDispatcher: 'herald.delivery-dispatcher.v1',
  DeliveryDispatcherRetryTier: (tierTopic: string) => `herald.delivery-dispatcher.${tierTopic}`,
  /*
   * Throw-away groups: a random suffix is added per use (`<base>.<uuid>`), they commit nothing
   * and are deleted afterwards. Each service's Kafka user may use its own prefix and `herald.view.`.
   */
  /** A `CompactedTopicView` (the whole compacted topic in memory), by view name. */
  View: (viewName: string) => `herald.view.${viewName}`,
  /** The dispatcher's scan of the retry tiers that rebuilds the ordered-mode pipes. */
  DeliveryDispatcherPipeRebuild: 'herald.delivery-dispatcher.pipe-rebuild',
  /** The registry's reads of a DLQ or topic range (redrive, replay jobs). */
  SubscriptionRegistryRangeReader: 'herald.subscription-registry.range-reader',
  /** The registry CLI's read of herald.principals.v1. */
  SubscriptionRegistryCli: 'herald.subscription-registry.cli',
} as const;

/**
 * The wire name of a topic or group under a namespace. `HERALD_KAFKA_NAMESPACE` lets a test
 * file (or a second deployment on one cluster) have topics of its own: `t-abc.herald.deliveries.v1`.
 */
export function topicName(spec: TopicSpec | string, namespace?: string): string {
  const name = typeof spec === 'string' ? spec : spec.name;
  return namespace ? `${namespace}.${name}` : name;
}

export function groupId(group: string, namespace?: string): string {
  return namespace ? `${namespace}.${group}` : group;
}
