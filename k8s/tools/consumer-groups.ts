/**
 * Which Kafka consumer groups each service runs (one member per pod and group), and on which
 * topics: what bounds its replicas, since a group never has more active members than its
 * topic has partitions. Compacted topics a service materialises in full on every pod
 * (CompactedTopicView: the router's and dispatcher's subscriptions, the registry's principals)
 * are read without a group and bound nothing. The e2e test of the compiled services checks this
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
    { group: ConsumerGroups.SubscriptionRegistryResourceChanges, topics: [Topics.ResourceChanges] },
  ],
  'event-router': [{ group: ConsumerGroups.EventRouter, topics: [Topics.ResourceChanges] }],
  'delivery-dispatcher': [
    { group: ConsumerGroups.DeliveryDispatcher, topics: [Topics.Deliveries] },
    ...RetryTierTopics.map((t) => ({
      group: ConsumerGroups.DeliveryDispatcherRetryTier(t.name),
      topics: [t],
    })),
  ],
};
