import { DeliveryContract, Headers, RetryTierTopics, encodeMessage, topicName, type Delivery } from '@herald/contracts';
import { dispatcherHarnessFor, waitFor } from './dispatcher-harness';

// Issue 12.2: no message holds a retry tier longer than the tier's own delay. The dispatcher
// in-process against the real broker; receivers on loopback.
describe('retry tiers: a long wait never holds back other tenants\' retries', () => {
  const h = dispatcherHarnessFor('tiers', { allowLoopback: true });
  const tier = (label: string) => RetryTierTopics.find((t) => t.name.endsWith(`.${label}`))!;
  const header = (m: { headers?: Record<string, unknown> }, name: string) => Number(String(m.headers?.[name]));

  it('tenant A\'s receiver answers Retry-After: 3599 — A waits its hour hopping, and tenant B\'s retries on the same tier partitions arrive on time (±10%)', async () => {
    const aRx = await h.receiver((_req, res) => res.writeHead(503, { 'retry-after': '3599' }).end('come back in an hour'));
    const a = h.snapshot({ url: aRx.url, tenantId: 'tenant-a', retryPolicy: { scheduleMs: [5_000], maxAttempts: 5, maxAgeMs: 86_400_000, onExhausted: 'dlq' } });
    let bFailures = 2;
    const bRx = await h.receiver((_req, res) => (bFailures-- > 0 ? res.writeHead(500).end('not yet') : res.writeHead(200).end()));
    const b30 = h.snapshot({ url: `${bRx.url}/30`, tenantId: 'tenant-b', retryPolicy: { scheduleMs: [30_000], maxAttempts: 3, maxAgeMs: 600_000, onExhausted: 'dlq' } });
    const b40 = h.snapshot({ url: `${bRx.url}/40`, tenantId: 'tenant-b', retryPolicy: { scheduleMs: [40_000], maxAttempts: 3, maxAgeMs: 600_000, onExhausted: 'dlq' } });
    await h.publishSnapshots(a.snapshot, b30.snapshot, b40.snapshot);
    const tenMinutes = await h.collect(tier('10m'));

    // A's receiver asks for an hour: the next attempt is due then, and the tier it waits in (the
    // largest not longer than the wait: 10m) hands it over after its own 10 minutes at the latest.
    const dA = h.delivery(a.snapshot.id, 1, { tenantId: 'tenant-a' });
    await h.publishDeliveries([dA]);
    const [first] = await waitFor('A retrying', () => h.outcomesOf(dA.deliveryId).length > 0 && h.outcomesOf(dA.deliveryId));
    expect(first).toMatchObject({ status: 'retrying', httpStatus: 503 });
    expect(Date.parse(first.nextAttemptAt!) - Date.parse(first.at)).toBeGreaterThanOrEqual(3_599_000);
    const parked = await waitFor('A in the 10m tier', () => tenMinutes.find((m) => m.key?.toString() === a.snapshot.id));
    expect(header(parked, Headers.DueAt)).toBe(Date.parse(first.nextAttemptAt!));
    expect(header(parked, Headers.ReleaseAt) - Number(parked.timestamp)).toBeLessThanOrEqual(600_000);

    // The same wait, as it sat in a tier before hops existed (due in an hour, no release time),
    // at the head of every partition of the 30s tier — where tenant B's retries will go.
    const stuck: Delivery = { ...h.delivery(a.snapshot.id, 2, { tenantId: 'tenant-a' }), attempt: 2, firstAttemptAt: new Date().toISOString() };
    const due = Date.now() + 3_599_000;
    const encoded = encodeMessage(DeliveryContract, stuck, { headers: { [Headers.DueAt]: String(due) } });
    await h.producer.send({
      topic: topicName(tier('30s'), h.namespace),
      messages: [0, 1].map((partition) => ({ ...encoded, partition })),
    });

    // B: one hook retrying after 30 s (the 30s tier), one after 40 s (30s tier, then hops to 5s).
    const d30 = h.delivery(b30.snapshot.id, 1, { tenantId: 'tenant-b' });
    const d40 = h.delivery(b40.snapshot.id, 2, { tenantId: 'tenant-b' });
    await h.publishDeliveries([d30, d40]);
    await waitFor(
      'B delivered on the retry',
      () => [d30, d40].every((d) => h.outcomesOf(d.deliveryId).some((o) => o.status === 'delivered')),
      70_000,
    );
    const gap = (path: string) => {
      const at = bRx.received.filter((r) => r.path === path).map((r) => r.at);
      expect(at).toHaveLength(2);
      return at[1] - at[0];
    };
    expect(gap('/hook/30')).toBeGreaterThanOrEqual(30_000);
    expect(gap('/hook/30')).toBeLessThanOrEqual(33_000);
    expect(gap('/hook/40')).toBeGreaterThanOrEqual(40_000);
    expect(gap('/hook/40')).toBeLessThanOrEqual(44_000);
    // A was not attempted again early: its deliveries hop on until their hour is up.
    expect(aRx.received).toHaveLength(1);
    const hops = await waitFor('A\'s stuck copies hopped on to the 10m tier', () => {
      const copies = tenMinutes.filter((m) => JSON.parse(m.value!.toString()).deliveryId === stuck.deliveryId);
      return copies.length === 2 && copies;
    });
    for (const m of hops) {
      expect(header(m, Headers.DueAt)).toBe(due);
      expect(header(m, Headers.ReleaseAt) - Number(m.timestamp)).toBeLessThanOrEqual(600_000);
    }
  }, 120_000);
});
