import { DeliverySchema, type Delivery } from '@herald/contracts';
import { SharedEventFields } from './shared-fields';
import { deliveryFixture } from './testing';

/** As the engine gets it: decoded from its own message. */
const decoded = (d: Delivery): Delivery => DeliverySchema.parse(JSON.parse(JSON.stringify(d)));

describe('SharedEventFields', () => {
  it('a delivery of an event seen before keeps every value of its own: only what is alike is shared, what differs (routing time, body, hook) stays its own, and another event is not touched', () => {
    const shared = new SharedEventFields(2);
    const event = { eventId: 'evt_fan', tenantId: 'tenant-1', resourceId: 'task-9', occurredAt: '2026-12-07T18:00:00.000Z', body: '{"task":{"id":"task-9"}}' };
    const first = deliveryFixture({ ...event, subscriptionId: 'sub-1', routedAt: '2026-12-07T18:00:00.010Z' });
    const second = deliveryFixture({ ...event, subscriptionId: 'sub-2', routedAt: '2026-12-07T18:00:00.020Z' });
    const otherFormat = deliveryFixture({ ...event, subscriptionId: 'sub-3', body: '<task id="task-9"/>', contentType: 'application/xml' });
    const otherEvent = deliveryFixture({ eventId: 'evt_other', subscriptionId: 'sub-1', body: '{"x":1}' });
    for (const d of [first, second, otherFormat, otherEvent]) {
      const got = shared.share(decoded(d));
      expect(got).toEqual(decoded(d));
    }
    // Remembered only for the last two events: the first event's is forgotten, and one of it still comes out as it came in.
    shared.share(decoded(deliveryFixture({ eventId: 'evt_third' })));
    const later = deliveryFixture({ ...event, subscriptionId: 'sub-4', body: '{"task":{"id":"task-9","v":2}}' });
    expect(shared.share(decoded(later))).toEqual(decoded(later));
  });
});
