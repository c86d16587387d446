/**
 * Which Kafka consumer groups each service runs (one member per pod and group), and on which
 * topics: what bounds its replicas, since a group never has more active members than its
 * topic has partitions. Compacted topics a service materialises in full on every pod
 * (CompactedTopicView: the router's and dispatcher's subscriptions, the registry's principals)
 * are read by a throw-away group per pod (see THROW_AWAY_GROUP_BASES) and bound nothing. The e2e test of the compiled services checks this
 * model against the groups the running services actually create.
 */
import { ConsumerGroups, RetryTierTopics, Topics } from '@herald/contracts';
import type { TopicSpec } from '@herald/contracts';

export interface GroupConsumption {
  group: string;
  topics: readonly TopicSpec[];
}

export const SERVICE_CONSUMER_GROUPS: Record<string, GroupConsumption[]> = {
  'domain-api': [],
  'subscription-registry': [
    { group: ConsumerGroups.SubscriptionRegistryOutcomes, topics: [Topics.DeliveryOutcomes] },
    // The delivery log's Queued entries, read from the deliveries topic itself (6a838b9).
    { group: ConsumerGroups.SubscriptionRegistryDeliveries, topics: [Topics.Deliveries] },
    { group: ConsumerGroups.SubscriptionRegistryResourceChanges, topics: [Topics.ResourceChanges] },
  ],
  'event-router': [{ group: ConsumerGroups.EventRouter, topics: [Topics.ResourceChanges] }],
  'delivery-dispatcher': [
    // One group, co-partitioned: partition p of the deliveries topic and of every tier is one member's.
    { group: ConsumerGroups.DeliveryDispatcher, topics: [Topics.Deliveries, ...RetryTierTopics] },
  ],
};

/**
 * Groups a service makes for one use and deletes afterwards (`<base>.<uuid>`, nothing committed):
 * a CompactedTopicView's for as long as the service runs, the dispatcher's pipe rebuild and the
 * registry's range reads for one scan, the CLI's for one command. They bound nothing.
 */
export const THROW_AWAY_GROUP_BASES: readonly string[] = [
  ConsumerGroups.View(''),
  `${ConsumerGroups.DeliveryDispatcherPipeRebuild}.`,
  `${ConsumerGroups.SubscriptionRegistryRangeReader}.`,
  `${ConsumerGroups.SubscriptionRegistryCli}.`,
];

export const isThrowAwayGroup = (group: string): boolean =>
  THROW_AWAY_GROUP_BASES.some((base) => group.startsWith(base));
