import { z } from 'zod';
import { Topics, type TopicSpec } from './topics';
import { ResourceChangeSchema, resourceChangeKey, type ResourceChange } from './resource-change';
import { SubscriptionSnapshotSchema, subscriptionKey, type SubscriptionSnapshot } from './subscription';
import { PrincipalSnapshotSchema, principalKey, type PrincipalSnapshot } from './principal';
import {
  DeliverySchema,
  deliveryKey,
  DeliveryOutcomeSchema,
  deliveryOutcomeKey,
  type Delivery,
  type DeliveryOutcome,
} from './delivery';

/**
 * A message contract: the topic (or topics) it travels on, its value schema, its key and its
 * schema header. The Kafka lib's producer and consumer base take one of these, so a message
 * cannot be produced with the wrong key or consumed without validation.
 */
export interface MessageContract<T> {
  readonly type: string;
  readonly version: number;
  readonly schema: z.ZodType<T>;
  readonly key: (value: T) => string;
  /** Where an invalid message of this type goes. */
  readonly dlq: TopicSpec;
  /** Compacted topics: a null value is a tombstone for the key. */
  readonly tombstones: boolean;
}

export const ResourceChangeContract: MessageContract<ResourceChange> = {
  type: 'resource-change',
  version: 1,
  schema: ResourceChangeSchema,
  key: resourceChangeKey,
  dlq: Topics.ResourceChangesDlq,
  tombstones: false,
};

export const SubscriptionSnapshotContract: MessageContract<SubscriptionSnapshot> = {
  type: 'subscription-snapshot',
  version: 1,
  schema: SubscriptionSnapshotSchema as z.ZodType<SubscriptionSnapshot>,
  key: subscriptionKey,
  dlq: Topics.DeliveriesDlq,
  tombstones: true,
};

export const PrincipalSnapshotContract: MessageContract<PrincipalSnapshot> = {
  type: 'principal-snapshot',
  version: 1,
  schema: PrincipalSnapshotSchema,
  key: principalKey,
  dlq: Topics.DeliveriesDlq,
  tombstones: true,
};

export const DeliveryContract: MessageContract<Delivery> = {
  type: 'delivery',
  version: 1,
  schema: DeliverySchema as z.ZodType<Delivery>,
  key: deliveryKey,
  dlq: Topics.DeliveriesDlq,
  tombstones: false,
};

export const DeliveryOutcomeContract: MessageContract<DeliveryOutcome> = {
  type: 'delivery-outcome',
  version: 1,
  schema: DeliveryOutcomeSchema as z.ZodType<DeliveryOutcome>,
  key: deliveryOutcomeKey,
  dlq: Topics.DeliveriesDlq,
  tombstones: false,
};

export function schemaHeaderValue(c: Pick<MessageContract<unknown>, 'type' | 'version'>): string {
  return `${c.type}/${c.version}`;
}
