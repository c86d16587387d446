import type { KafkaMessage } from 'kafkajs';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  DeliveryOutcomeSchema,
  Headers,
  ResourceChangePublisher,
  Topics,
  topicName,
  type Delivery,
  type DeliveryOutcome,
} from '@herald/contracts';
import { resourceChange, subscriptionSnapshot } from '@herald/routing/matching/testing';
import { waitFor } from '@herald/platform/testing';
import { RouterSpec } from './testing';

// Issue 12.4: the router caps a delivery's size (here 50,000 bytes, so a 120 KB change is over
// it), against the real broker, with the dialects' renderers. Native: rendered thin;
// PPM Express (no thin rendering): dead-lettered with the reason and logged as failed.
jest.setTimeout(90_000);
const json = <T>(m: KafkaMessage) => JSON.parse(m.value!.toString()) as T;

describe('event-router: the delivery size cap', () => {
  const spec = new RouterSpec('router-cap');
  const { namespace } = spec;

  beforeAll(() => spec.open({ partitions: 1 }));

  afterAll(() => spec.close());

  it('renders an oversized native delivery thin, dead-letters an oversized PPM Express one with its reason and logs it failed; small ones go as they are', async () => {
    const native = subscriptionSnapshot({ id: `native-${randomUUID()}`, eventTypes: ['task.updated'] });
    const ppm = subscriptionSnapshot({ id: `ppm-${randomUUID()}`, eventTypes: ['task.updated'], payloadFormat: 'ppm-express' });
    await spec.producer.send({
      topic: topicName(Topics.Subscriptions, namespace),
      messages: [native, ppm].map((s) => ({ key: s.id, value: JSON.stringify(s) })),
    });
    const big = resourceChange({
      resourceId: 'task-big',
      after: { id: 'task-big', name: randomBytes(90_000).toString('base64'), status: 'open' }, // 120 KB, compresses to ~90 KB
      changedFields: ['name'],
    });
    const small = resourceChange({ resourceId: 'task-small' });
    await new ResourceChangePublisher(spec.producer, { producerName: 'router-cap-int', namespace }).publish([big, small]);

    const deliveries = await spec.collect(Topics.Deliveries);
    const outcomes = await spec.collect(Topics.DeliveryOutcomes);
    const dlq = await spec.collect(Topics.DeliveriesDlq);
    await spec.startRouter({ partitions: 1, env: { HERALD_ROUTER_MAX_DELIVERY_BYTES: '50000' } });

    // big → native (thin), big → ppm (DLQ + failed), small → both.
    await waitFor(() => deliveries.length >= 3 && dlq.length >= 1 && outcomes.length >= 1, { timeoutMs: 60_000, message: '3 deliveries, 1 dead letter, 1 outcome' });
    const sent = deliveries.map((m) => json<Delivery>(m));
    expect(sent.map((d) => [d.subscriptionId, d.resourceId])).toEqual([
      [native.id, 'task-big'],
      [native.id, 'task-small'],
      [ppm.id, 'task-small'],
    ]);
    const thin = JSON.parse(sent[0].body) as { data: object; dataOmitted?: boolean; resource: { id: string }; changedFields: string[] };
    expect(thin).toMatchObject({ data: {}, dataOmitted: true, resource: { id: 'task-big' }, changedFields: ['name'] });
    expect(Buffer.byteLength(sent[0].body)).toBeLessThan(2_000);
    expect(JSON.parse(sent[1].body)).not.toHaveProperty('dataOmitted');

    const [dead] = dlq;
    expect(dead.key?.toString()).toBe(ppm.id);
    expect(dead.headers?.[Headers.DlqErrorClass]?.toString()).toBe('too_large');
    expect(dead.headers?.[Headers.DlqReason]?.toString()).toMatch(
      new RegExp(`task.updated ${big.eventId} for subscription ${ppm.id}: the delivery would be \\d+ bytes for the broker \\(gzip-compressed\\), over the 50000-byte cap \\(HERALD_ROUTER_MAX_DELIVERY_BYTES\\), and format ppm-express cannot be rendered thin`),
    );
    expect(json<{ eventId: string }>(dead).eventId).toBe(big.eventId);

    const logged = outcomes.map((m) => DeliveryOutcomeSchema.parse(json<DeliveryOutcome>(m)));
    const failed = logged.find((o) => o.subscriptionId === ppm.id && o.resourceId === 'task-big');
    expect(failed).toMatchObject({ status: 'failed', attempt: 0, body: null, errorClass: 'invalid', eventId: big.eventId });
    expect(failed?.errorMessage).toMatch(/cannot be rendered thin/);
    // The only outcome the router writes: the one that cannot be delivered (Queued is logged by the registry from the deliveries topic).
    expect(logged).toHaveLength(1);

    const metrics = await spec.metrics();
    expect(metrics).toMatch(/herald_router_oversized_deliveries_total\{[^}]*format="native"[^}]*result="thin"[^}]*\} 1/);
    expect(metrics).toMatch(/herald_router_oversized_deliveries_total\{[^}]*format="ppm-express"[^}]*result="dead_lettered"[^}]*\} 1/);
  });
});
