import type { Delivery } from '@herald/contracts';

/** A delivery's fields that one event's deliveries (its fan-out, its retries) mostly have alike. */
const EVENT_FIELDS = ['eventId', 'tenantId', 'eventType', 'resourceType', 'resourceId', 'projectId', 'occurredAt', 'routedAt', 'body', 'contentType'] as const;

/**
 * One copy of the strings an event's deliveries have alike. Each delivery is decoded from its own
 * message, so the 10,000 deliveries of a change to 10,000 hooks were 10,000 copies of its body and
 * ids on the heap while they waited (issue 14's memory; with a 50 KB body, 50 KB per delivery
 * held). A delivery decoded after another of the same event, still held, takes that one's strings
 * for every field whose value is the same (only the same: a field that differs is its own). The
 * last `size` events are remembered, each by a weak reference to its first delivery here, so a
 * finished one is not kept for this.
 */
export class SharedEventFields {
  private readonly recent = new Map<string, WeakRef<Delivery>>();

  constructor(private readonly size = 64) {}

  share(d: Delivery): Delivery {
    const held = this.recent.get(d.eventId)?.deref();
    if (held && held !== d) {
      const from = held as Record<(typeof EVENT_FIELDS)[number], unknown>;
      const to = d as Record<(typeof EVENT_FIELDS)[number], unknown>;
      for (const field of EVENT_FIELDS) if (from[field] === to[field]) to[field] = from[field];
      return d;
    }
    this.recent.delete(d.eventId);
    this.recent.set(d.eventId, new WeakRef(d));
    if (this.recent.size > this.size) this.recent.delete(this.recent.keys().next().value as string);
    return d;
  }
}
