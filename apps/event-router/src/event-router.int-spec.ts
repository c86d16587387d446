import type { KafkaMessage } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import {
  DeliverySchema,
  Headers,
  ResourceChangePublisher,
  Topics,
  topicName,
  type Delivery,
  type ResourceChange,
  type SubscriptionSnapshot,
} from '@herald/contracts';
import { resourceChange, subscriptionSnapshot } from '@herald/routing/matching/testing';
import { PAYLOAD_RENDERERS } from '@herald/routing/rendering';
import { waitFor } from '@herald/platform/testing';
import { RouterSpec } from './testing';

// The router in-process against the real broker; events come from a plain kafkajs producer
// (through the contracts' ResourceChangePublisher, and raw bytes for the invalid ones).
jest.setTimeout(90_000);
const until = (message: string, fn: () => unknown, timeoutMs = 30_000) =>
  waitFor(fn, { message, timeoutMs });

const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
const json = <T>(m: KafkaMessage) => JSON.parse(m.value!.toString()) as T;

describe('event-router against the real broker', () => {
  const spec = new RouterSpec('router');
  const { namespace } = spec;
  let publisher: ResourceChangePublisher;

  const publishSnapshot = (s: SubscriptionSnapshot) =>
    spec.producer.send({
      topic: topicName(Topics.Subscriptions, namespace),
      messages: [{ key: s.id, value: JSON.stringify(s) }],
    });
  const tombstone = (id: string) =>
    spec.producer.send({
      topic: topicName(Topics.Subscriptions, namespace),
      messages: [{ key: id, value: null }],
    });

  beforeAll(async () => {
    await spec.open({ partitions: 2, configs: true });
    publisher = new ResourceChangePublisher(spec.producer, {
      producerName: 'router-int-test',
      namespace,
    });
  });

  afterAll(() => spec.close());

  it('loads the subscription set before routing, routes valid events per match, dead-letters the rest and keeps going', async () => {
    // Subscriptions that exist before the router starts (it must load them all before routing):
    // 5,000 of another tenant first, so that a router routing a half-loaded set would miss A's v2.
    const filler = Array.from({ length: 5_000 }, (_, i) => {
      const s = subscriptionSnapshot({ id: `filler-${i}`, tenantId: 'someone-else' });
      return { key: s.id, value: JSON.stringify(s) };
    });
    for (let i = 0; i < filler.length; i += 1_000) {
      await spec.producer.send({
        topic: topicName(Topics.Subscriptions, namespace),
        messages: filler.slice(i, i + 1_000),
      });
    }
    const subA = subscriptionSnapshot({
      id: `a-${randomUUID()}`,
      eventTypes: ['task.*'],
      version: 1,
    });
    await publishSnapshot({ ...subA, eventTypes: ['project.created'] });
    await publishSnapshot({ ...subA, version: 2 }); // newer version wins
    const disabled = subscriptionSnapshot({ id: `d-${randomUUID()}`, status: 'disabled' });
    await publishSnapshot(disabled);
    const deleted = subscriptionSnapshot({ id: `x-${randomUUID()}` });
    await publishSnapshot(deleted);
    await tombstone(deleted.id);
    const unrenderable = subscriptionSnapshot({
      id: `u-${randomUUID()}`,
      eventTypes: ['task.completed'],
      payloadFormat: 'proprofs',
    });
    await publishSnapshot(unrenderable);

    // Events published before the router runs, from a plain producer.
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const created = resourceChange({
      action: 'created',
      before: null,
      changedFields: [],
      resourceId: 'task-9',
      traceparent: tp,
    });
    const completed = resourceChange({
      action: 'completed',
      resourceId: 'task-9',
      before: { id: 'task-9', status: 'open' },
      after: { id: 'task-9', status: 'done' },
      changedFields: ['status'],
    });
    await publisher.publish([created, completed]);
    const rawTopic = topicName(Topics.ResourceChanges, namespace);
    await spec.producer.send({
      topic: rawTopic,
      messages: [{ key: 't1:task:task-bad', value: '{not json' }],
    });
    const invalid = { ...resourceChange({ resourceId: 'task-bad' }), action: 'archived' };
    await spec.producer.send({
      topic: rawTopic,
      messages: [{ key: 't1:task:task-bad', value: JSON.stringify(invalid) }],
    });
    const afterInvalid = resourceChange({ resourceId: 'task-9', changedFields: ['name'] });
    await publisher.publish(afterInvalid);

    const deliveries = await spec.collect(Topics.Deliveries);
    const outcomes = await spec.collect(Topics.DeliveryOutcomes);
    const changesDlq = await spec.collect(Topics.ResourceChangesDlq);
    const deliveriesDlq = await spec.collect(Topics.DeliveriesDlq);

    // Without the dialects' renderers: a `proprofs` subscription is then one nobody can render.
    await spec.startRouter({
      partitions: 2,
      logger: ['error', 'warn'],
      override: (builder) => builder.overrideProvider(PAYLOAD_RENDERERS).useValue([]),
    });

    await until('3 deliveries', () => deliveries.length >= 3 && deliveries);
    await until('2 dead-lettered events', () => changesDlq.length >= 2);
    await until('1 unrenderable delivery', () => deliveriesDlq.length >= 1);

    // Only subscription A (v2, task.*) receives; in the order of the changes (one resource, one key).
    const routed = deliveries.map((m) => DeliverySchema.parse(json<Delivery>(m)));
    expect(
      routed.map((d) => [
        d.subscriptionId,
        d.eventId,
        d.eventType,
        d.attempt,
        d.subscriptionVersion,
      ]),
    ).toEqual([
      [subA.id, created.eventId, 'task.created', 1, 2],
      [subA.id, completed.eventId, 'task.completed', 1, 2],
      [subA.id, afterInvalid.eventId, 'task.updated', 1, 2],
    ]);
    expect(deliveries.map((m) => m.key?.toString())).toEqual([subA.id, subA.id, subA.id]);
    expect(header(deliveries[0], Headers.Schema)).toBe('delivery/1');
    expect(header(deliveries[0], Headers.TraceParent)).toBe(tp);
    const body = JSON.parse(routed[1].body);
    expect(body).toMatchObject({
      type: 'task.completed',
      id: completed.eventId,
      data: { status: 'done', previous: { status: 'open' } },
    });

    // One message per delivery: no `queued` outcome beside it (the registry logs Queued from the
    // deliveries topic). Both would have been in the same produce request, so by now it would be here.
    expect(outcomes).toEqual([]);

    const reasons = changesDlq.map((m) => header(m, Headers.DlqReason) ?? '');
    expect(reasons[0]).toMatch(/^not JSON/);
    expect(reasons[1]).toMatch(/action/);
    expect(header(deliveriesDlq[0], Headers.DlqReason)).toMatch(
      new RegExp(
        `subscription ${unrenderable.id} \\(format proprofs\\): no payload renderer for format "proprofs"`,
      ),
    );
    expect(deliveriesDlq[0].key?.toString()).toBe(unrenderable.id);

    // The set follows the topic: a new subscription receives the next change, a tombstone stops it.
    const subB = subscriptionSnapshot({ id: `b-${randomUUID()}`, eventTypes: ['comment.created'] });
    await publishSnapshot(subB);
    await until('subscription B loaded', async () =>
      /herald_router_subscriptions\{[^}]*\} 5003/.test(await spec.metrics()),
    );
    const comment = resourceChange({
      resourceType: 'comment',
      resourceId: 'c1',
      action: 'created',
      before: null,
      changedFields: [],
    });
    await publisher.publish(comment);
    await until('delivery to B', () =>
      deliveries.some((m) => m.key?.toString() === subB.id),
    );
    await tombstone(subB.id);
    await until('subscription B gone', async () =>
      /herald_router_subscriptions\{[^}]*\} 5002/.test(await spec.metrics()),
    );
    await publisher.publish(
      resourceChange({
        resourceType: 'comment',
        resourceId: 'c2',
        action: 'created',
        before: null,
        changedFields: [],
      }),
    );
    await publisher.publish(resourceChange({ resourceId: 'task-10', changedFields: ['name'] }));
    await until('delivery of task-10 to A', () =>
      deliveries.some((m) => json<Delivery>(m).resourceId === 'task-10'),
    );
    expect(deliveries.filter((m) => m.key?.toString() === subB.id)).toHaveLength(1);
    expect(await spec.metrics()).toMatch(/herald_router_matches_total\{[^}]*\} 5/);
  });

  it('fans one change out to 10,000 subscriptions', async () => {
    const ids: string[] = [];
    const tenantId = `fan-${randomUUID()}`;
    const snapshots = Array.from({ length: 10_000 }, (_, i) => {
      const s = subscriptionSnapshot({ id: `f-${i}-${randomUUID()}`, tenantId });
      ids.push(s.id);
      return { key: s.id, value: JSON.stringify(s) };
    });
    for (let i = 0; i < snapshots.length; i += 1000) {
      await spec.producer.send({
        topic: topicName(Topics.Subscriptions, namespace),
        messages: snapshots.slice(i, i + 1000),
      });
    }
    const deliveries = await spec.collect(Topics.Deliveries);
    await until('10,000 subscriptions loaded', async () =>
      /herald_router_subscriptions\{[^}]*\} 15002/.test(await spec.metrics()),
    );
    const change: ResourceChange = resourceChange({
      tenantId,
      action: 'created',
      before: null,
      changedFields: [],
    });
    const started = Date.now();
    await publisher.publish(change);
    const mine: KafkaMessage[] = [];
    let scanned = 0;
    const scan = () => {
      for (; scanned < deliveries.length; scanned++) {
        const m = deliveries[scanned];
        if (json<Delivery>(m).eventId === change.eventId) mine.push(m);
      }
      return mine.length >= 10_000;
    };
    await until('10,000 deliveries', scan);
    const seconds = (Date.now() - started) / 1000;
    expect(new Set(mine.map((m) => m.key?.toString()))).toEqual(new Set(ids));
    // No wall-clock assertion: speed is bench:e2e's to measure (its fan-out phase), not a test's.
    process.stdout.write(`fan-out of 10,000 routed in ${seconds} s\n`);
  });
});
