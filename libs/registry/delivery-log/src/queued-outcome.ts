import type { Delivery, DeliveryOutcome } from '@herald/contracts';

/**
 * What the delivery log records when a delivery is queued: its ids, event and body, as of the
 * time it was routed (or re-sent). The registry reads it from the delivery message itself
 * (herald.deliveries.v1, its own consumer group); nothing else has to produce it.
 */
export function queuedOutcomeOf(d: Delivery, at: string = d.routedAt): DeliveryOutcome {
  return {
    deliveryId: d.deliveryId,
    eventId: d.eventId,
    subscriptionId: d.subscriptionId,
    tenantId: d.tenantId,
    eventType: d.eventType,
    resourceType: String(d.resourceType),
    resourceId: d.resourceId,
    status: 'queued',
    attempt: 0,
    at,
    body: d.body,
    occurredAt: d.occurredAt,
    routedAt: d.routedAt,
    origin: d.origin,
  };
}
