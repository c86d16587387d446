import { randomUUID } from 'node:crypto';
import { DeliverySchema, Topics, type Delivery, type TopicSpec } from '@herald/contracts';
import type { Entry } from './lanes';

// Builders for the engine parts' unit specs (no I/O).

let n = 0;

export function deliveryFixture(over: Partial<Delivery> = {}): Delivery {
  n++;
  const now = new Date().toISOString();
  return DeliverySchema.parse({
    deliveryId: randomUUID(),
    eventId: `evt_${n}`,
    subscriptionId: 'sub-A',
    subscriptionVersion: 1,
    tenantId: 't',
    eventType: 'task.created',
    resourceType: 'task',
    resourceId: `task-${n}`,
    occurredAt: now,
    routedAt: now,
    attempt: 1,
    body: `{"n":${n}}`,
    ...over,
  });
}

/** An entry as the engine holds it; `finished()` tells whether its `finish` was called. */
export function entryFixture(delivery: Delivery = deliveryFixture(), topic: TopicSpec = Topics.Deliveries, headers: Record<string, string> = {}) {
  let finished = 0;
  const entry: Entry = {
    delivery,
    trace: {},
    source: {
      topic,
      partition: 0,
      offset: String(n),
      message: { headers },
      bytes: Buffer.byteLength(delivery.subscriptionId) + Buffer.byteLength(JSON.stringify(delivery)),
    },
    finish: () => void finished++,
  };
  return Object.assign(entry, { finished: () => finished });
}
