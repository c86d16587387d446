import { randomUUID } from 'node:crypto';
import {
  DeliveryContract,
  DeliveryOutcomeContract,
  Topics,
  encodeMessage,
  type Delivery,
  type DeliveryOutcome,
} from '@herald/contracts';
import { registryOnOwnTables, waitFor } from './registry-harness';

// Issue 14.3, one message per delivery: the router produces only the delivery; the registry logs
// it as Queued (with its body) from herald.deliveries.v1 with its own consumer group, in any
// order with the delivery's attempt outcomes, and never dead-letters a delivery the dispatcher owns.
jest.setTimeout(180_000);

describe('delivery log: Queued from the deliveries topic', () => {
  const reg = registryOnOwnTables('queued');
  const { kafka } = reg;

  const delivery = (p: Partial<Delivery> = {}): Delivery => ({
    deliveryId: randomUUID(),
    eventId: randomUUID(),
    subscriptionId: 'sub-queued',
    subscriptionVersion: 1,
    tenantId: 'tenant-q',
    eventType: 'task.created',
    resourceType: 'task',
    resourceId: randomUUID(),
    projectId: null,
    occurredAt: new Date(Date.now() - 1_000).toISOString(),
    routedAt: new Date(Date.now() - 500).toISOString(),
    attempt: 1,
    firstAttemptAt: null,
    body: JSON.stringify({ type: 'task.created', n: randomUUID() }),
    contentType: 'application/json',
    headers: {},
    origin: 'event',
    ...p,
  });

  const rows = async (ids: readonly string[]) =>
    (await reg.ds.query(
      `SELECT delivery_id::text AS id, status, body, queued_at IS NOT NULL AS queued, attempt_count
         FROM registry.deliveries WHERE delivery_id = ANY($1::uuid[]) ORDER BY delivery_id`,
      [ids],
    )) as { id: string; status: string; body: string | null; queued: boolean; attempt_count: number }[];

  it('logs each delivery as Queued with its body; an attempt logged first is completed, not set back; an invalid message is skipped, not dead-lettered', async () => {
    const a = delivery();
    const b = delivery({ origin: 'redeliver' });
    const early = delivery();
    // The dispatcher's outcome for `early` reaches the log before its delivery message does.
    const delivered: DeliveryOutcome = {
      deliveryId: early.deliveryId,
      eventId: early.eventId,
      subscriptionId: early.subscriptionId,
      tenantId: early.tenantId,
      eventType: early.eventType,
      resourceType: 'task',
      resourceId: early.resourceId,
      status: 'delivered',
      attempt: 1,
      at: new Date().toISOString(),
      httpStatus: 200,
      durationMs: 3,
      origin: 'event',
    };
    const outcome = encodeMessage(DeliveryOutcomeContract, delivered);
    await kafka.send(Topics.DeliveryOutcomes, [{ key: outcome.key, value: outcome.value }]);
    await waitFor('the attempt logged first', async () => (await rows([early.deliveryId]))[0]?.status === 'delivered', 30_000);
    expect((await rows([early.deliveryId]))[0]).toMatchObject({ body: null, queued: false });

    await kafka.send(Topics.Deliveries, [
      { key: 'sub-queued', value: 'not json at all' },
      ...[a, b, early].map((d) => {
        const m = encodeMessage(DeliveryContract, d);
        return { key: m.key, value: m.value };
      }),
    ]);
    await waitFor('the three logged with their bodies', async () => (await rows([a.deliveryId, b.deliveryId, early.deliveryId])).every((r) => r.queued), 30_000);
    const byId = new Map((await rows([a.deliveryId, b.deliveryId, early.deliveryId])).map((r) => [r.id, r]));
    expect(byId.get(a.deliveryId)).toMatchObject({ status: 'queued', body: a.body, attempt_count: 0 });
    expect(byId.get(b.deliveryId)).toMatchObject({ status: 'queued', body: b.body });
    // Completed by its Queued entry, never set back to queued.
    expect(byId.get(early.deliveryId)).toMatchObject({ status: 'delivered', body: early.body, attempt_count: 1 });
    const origin = await reg.ds.query(`SELECT origin FROM registry.deliveries WHERE delivery_id = $1`, [b.deliveryId]);
    expect(origin).toEqual([{ origin: 'redeliver' }]);

    // The invalid message belongs to the dispatcher's DLQ, not to a second copy from the log.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(reg.dlq).toEqual([]);
    const metrics = await (await fetch(`${reg.registry.url}/metrics`)).text();
    expect(metrics).toMatch(/herald_consumer_dead_letters_total\{[^}]*reason="skipped_invalid"[^}]*\} 1/);
    expect(metrics).toMatch(/herald_delivery_log_queued_total\{[^}]*\} 3/);
    expect((await fetch(`${reg.registry.url}/health/ready`)).status).toBe(200);
  });
});
