import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { Webhook } from 'standardwebhooks';
import { Headers, Topics, type DeliveryOutcome } from '@herald/contracts';
import { generateSigningSecret } from '@herald/delivery/signing';
import { dispatcherHarnessFor, waitFor } from './dispatcher-harness';

/** The partition (of the harness's two) Herald's producers give a key: kafkajs's default partitioner. */
function partitionOf(key: string): number {
  return Partitioners.DefaultPartitioner()({
    topic: 't',
    partitionMetadata: [0, 1].map((partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] })),
    message: { key, value: null },
  });
}

// The dispatcher in-process against the real broker; receivers are local HTTP servers, so this
// file sets HERALD_SSRF_ALLOW_CIDRS=127.0.0.0/8 (the SSRF refusals are in dispatcher-ssrf.int-spec.ts).
describe('delivery-dispatcher against the real broker', () => {
  const h = dispatcherHarnessFor('dispatcher', { allowLoopback: true });
  const statuses = (id: string) => h.outcomesOf(id).map((o) => `${o.attempt}:${o.status}`);

  it('sends a signed delivery with the verb, custom headers and auth; standardwebhooks verifies both active secrets', async () => {
    const r = await h.receiver();
    const current = generateSigningSecret();
    const rotated = generateSigningSecret();
    const expired = generateSigningSecret();
    const { snapshot } = h.snapshot({
      url: r.url,
      httpVerb: 'PUT',
      headers: [{ name: 'X-Team', value: h.box.encrypt('blue') }],
      basicAuth: { user: 'ws', password: h.box.encrypt('p@ss') },
      secrets: [
        { secret: current, expiresAt: null },
        { secret: rotated, expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
        { secret: expired, expiresAt: new Date(Date.now() - 1_000).toISOString() },
      ],
    });
    await h.publishSnapshots(snapshot);
    const d = h.delivery(snapshot.id, 1);
    await h.publishDeliveries([d]);

    const got = await waitFor('the delivery', () => r.received[0]);
    expect(got.method).toBe('PUT');
    expect(got.body).toBe(d.body);
    expect(got.headers['x-team']).toBe('blue');
    expect(got.headers['authorization']).toBe(`Basic ${Buffer.from('ws:p@ss').toString('base64')}`);
    expect(got.headers['webhook-id']).toBe(d.eventId);
    expect(got.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(got.body, got.headers)).toEqual(JSON.parse(d.body));
    expect(new Webhook(rotated).verify(got.body, got.headers)).toEqual(JSON.parse(d.body));
    expect(() => new Webhook(expired).verify(got.body, got.headers)).toThrow();

    const [outcome] = await waitFor('the outcome', () => h.outcomesOf(d.deliveryId).length > 0 && h.outcomesOf(d.deliveryId));
    expect(outcome).toMatchObject<Partial<DeliveryOutcome>>({ status: 'delivered', attempt: 1, httpStatus: 200, subscriptionId: snapshot.id, eventId: d.eventId });
    expect(outcome.durationMs).toBeGreaterThan(0);
  });

  it('does not follow a 302 to a private address: the attempt fails as a redirect', async () => {
    const r = await h.receiver((_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    const { snapshot } = h.snapshot({ url: r.url, retryPolicy: { scheduleMs: [1_000], maxAttempts: 1, maxAgeMs: 60_000, onExhausted: 'discard' } });
    await h.publishSnapshots(snapshot);
    const d = h.delivery(snapshot.id, 1);
    await h.publishDeliveries([d]);
    const [o] = await waitFor('the outcome', () => h.outcomesOf(d.deliveryId).length > 0 && h.outcomesOf(d.deliveryId));
    expect(o).toMatchObject({ status: 'discarded', attempt: 1, httpStatus: 302, errorClass: 'redirect' });
    expect(r.received).toHaveLength(1);
  });

  it('retries on the schedule: fails twice, the third attempt arrives through the tiers with the same webhook-id', async () => {
    const r = await h.receiver((_req, res) => (r.received.length <= 2 ? res.writeHead(503).end('busy') : res.writeHead(204).end()));
    const { snapshot, secrets } = h.snapshot({ url: r.url, retryPolicy: { scheduleMs: [1_000, 1_000], maxAttempts: 3, maxAgeMs: 60_000, onExhausted: 'dlq' } });
    await h.publishSnapshots(snapshot);
    const d = h.delivery(snapshot.id, 1);
    await h.publishDeliveries([d]);

    await waitFor('three attempts', () => r.received.length >= 3);
    await waitFor('the delivered outcome', () => statuses(d.deliveryId).includes('3:delivered'));
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual([d.eventId, d.eventId, d.eventId]);
    for (const x of r.received) expect(() => new Webhook(secrets[0]).verify(x.body, x.headers)).not.toThrow();
    expect(r.received[1].at - r.received[0].at).toBeGreaterThanOrEqual(950);
    expect(r.received[2].at - r.received[1].at).toBeGreaterThanOrEqual(950);
    expect(statuses(d.deliveryId)).toEqual(['1:retrying', '2:retrying', '3:delivered']);
    const first = h.outcomesOf(d.deliveryId)[0];
    expect(first).toMatchObject({ httpStatus: 503, errorClass: 'http_status', responseExcerpt: 'busy' });
    expect(Date.parse(first.nextAttemptAt!)).toBeGreaterThan(Date.parse(first.at));
  });

  it('status-ok contract (Worksection): a 200 without {"status":"OK"} is a failure, the retry with it is delivered', async () => {
    const r = await h.receiver((_req, res) =>
      r.received.length === 1 ? res.writeHead(200).end('OK') : res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"OK"}'),
    );
    const { snapshot } = h.snapshot({ url: r.url, successContract: 'status-ok', retryPolicy: { scheduleMs: [1_000], maxAttempts: 3, maxAgeMs: 60_000, onExhausted: 'dlq' } });
    await h.publishSnapshots(snapshot);
    const d = h.delivery(snapshot.id, 1);
    await h.publishDeliveries([d]);
    await waitFor('delivered', () => statuses(d.deliveryId).includes('2:delivered'));
    expect(h.outcomesOf(d.deliveryId)[0]).toMatchObject({ status: 'retrying', httpStatus: 200, errorClass: 'contract', responseExcerpt: 'OK' });
  });

  it('a receiver status in unsubscribeOn (ProProfs 401) ends the delivery at once, without retries', async () => {
    const r = await h.receiver((_req, res) => res.writeHead(401).end('who are you'));
    const { snapshot } = h.snapshot({
      url: r.url,
      retryPolicy: { scheduleMs: [1_000], maxAttempts: 3, maxAgeMs: 60_000, onExhausted: 'discard' },
      failurePolicy: { unsubscribeOn: [401], unsubscribeAction: 'delete', autoDisableAfter: 3, deleteAtThreshold: true },
    });
    await h.publishSnapshots(snapshot);
    const d = h.delivery(snapshot.id, 1);
    await h.publishDeliveries([d]);
    await waitFor('the outcome', () => statuses(d.deliveryId).length > 0);
    expect(h.outcomesOf(d.deliveryId)).toMatchObject([{ status: 'discarded', attempt: 1, httpStatus: 401 }]);
    await new Promise((res) => setTimeout(res, 1_500));
    expect(r.received).toHaveLength(1);
  });

  it('dead-letters an exhausted delivery and marks it failed', async () => {
    const dlq = await h.collect(Topics.DeliveriesDlq);
    const r = await h.receiver((_req, res) => res.writeHead(500).end('down'));
    const { snapshot } = h.snapshot({ url: r.url, retryPolicy: { scheduleMs: [1_000], maxAttempts: 2, maxAgeMs: 60_000, onExhausted: 'dlq' } });
    await h.publishSnapshots(snapshot);
    const d = h.delivery(snapshot.id, 1);
    await h.publishDeliveries([d]);
    await waitFor('failed', () => statuses(d.deliveryId).includes('2:failed'));
    expect(statuses(d.deliveryId)).toEqual(['1:retrying', '2:failed']);
    const dead = await waitFor('the DLQ message', () => dlq.find((m) => JSON.parse(m.value!.toString()).deliveryId === d.deliveryId));
    expect(dead.key!.toString()).toBe(snapshot.id);
    expect(JSON.parse(dead.value!.toString())).toMatchObject({ attempt: 2, eventId: d.eventId });
    expect(dead.headers![Headers.DlqReason]!.toString()).toMatch(/exhausted/);
    expect(r.received).toHaveLength(2);
  });

  it('discards (and never sends) deliveries of a disabled hook', async () => {
    const r = await h.receiver();
    const { snapshot } = h.snapshot({ url: r.url, status: 'disabled' });
    await h.publishSnapshots(snapshot);
    const d = h.delivery(snapshot.id, 1);
    await h.publishDeliveries([d]);
    const [o] = await waitFor('the outcome', () => h.outcomesOf(d.deliveryId).length > 0 && h.outcomesOf(d.deliveryId));
    expect(o).toMatchObject({ status: 'discarded', errorClass: 'subscription_inactive' });
    expect(r.received).toHaveLength(0);
  });

  it('dead-letters an invalid message with the reason and keeps going', async () => {
    const dlq = await h.collect(Topics.DeliveriesDlq);
    const r = await h.receiver();
    const { snapshot } = h.snapshot({ url: r.url });
    await h.publishSnapshots(snapshot);
    await h.publishRaw('{"not":"a delivery"}', snapshot.id);
    const d = h.delivery(snapshot.id, 1);
    await h.publishDeliveries([d]);
    await waitFor('the valid one delivered', () => statuses(d.deliveryId).includes('1:delivered'));
    const dead = await waitFor('the invalid one in the DLQ', () => dlq.find((m) => m.value?.toString() === '{"not":"a delivery"}'));
    expect(dead.headers![Headers.DlqReason]!.toString()).toMatch(/delivery\/1 schema/);
  });

  it('a hanging receiver does not hold back another subscription on the same partition', async () => {
    const hanging = await h.receiver(() => undefined);
    const healthy = await h.receiver();
    const slow = h.snapshot({ url: hanging.url, timeoutMs: 10_000, retryPolicy: { scheduleMs: [60_000], maxAttempts: 2, maxAgeMs: 600_000, onExhausted: 'discard' } });
    const fast = h.snapshot({ url: healthy.url });
    await h.publishSnapshots(slow.snapshot, fast.snapshot);
    const stuck = Array.from({ length: 10 }, (_, i) => h.delivery(slow.snapshot.id, i));
    const flowing = Array.from({ length: 30 }, (_, i) => h.delivery(fast.snapshot.id, i));
    const t0 = Date.now();
    // The hanging hook's deliveries first, all on partition 0, then the healthy hook's.
    await h.publishDeliveries(stuck, 0);
    await h.publishDeliveries(flowing, 0);
    await waitFor('all healthy deliveries', () => healthy.received.length >= 30, 10_000);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(8_000);
    expect(hanging.received.length).toBeGreaterThan(0);
    // The hanging ones are still in flight (timeout 10 s): nothing of theirs has an outcome yet.
    expect(stuck.flatMap((d) => h.outcomesOf(d.deliveryId))).toHaveLength(0);
    // Independent mode starts a hook's deliveries in order, several at a time: all of them arrived.
    expect(healthy.received.map((x) => JSON.parse(x.body).data.n).sort((a, b) => a - b)).toEqual(flowing.map((_, i) => i));
    await waitFor('the hanging ones time out and go to a tier', () => statuses(stuck[0].deliveryId).includes('1:retrying'), 15_000);
    expect(h.outcomesOf(stuck[0].deliveryId)[0]).toMatchObject({ errorClass: 'timeout' });
  });

  it('ordered mode: a failing delivery pauses the hook\'s later ones, another hook on the same partition keeps receiving', async () => {
    let failuresLeft = 2;
    const orderedRx = await h.receiver((_req, res) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(500).end('not yet');
      } else res.writeHead(200).end();
    });
    const otherRx = await h.receiver();
    const ordered = h.snapshot({
      url: orderedRx.url,
      deliveryMode: 'ordered',
      retryPolicy: { scheduleMs: [1_000, 2_000], maxAttempts: 10, maxAgeMs: 600_000, onExhausted: 'discard' },
    });
    const other = h.snapshot({ url: otherRx.url });
    await h.publishSnapshots(ordered.snapshot, other.snapshot);

    const [d1, d2, d3] = [1, 2, 3].map((n) => h.delivery(ordered.snapshot.id, n));
    await h.publishDeliveries([d1], 0);
    await waitFor('the first attempt of d1', () => statuses(d1.deliveryId).includes('1:retrying'));
    // While d1 waits in a tier, the hook's later deliveries arrive — and so does another hook's.
    await h.publishDeliveries([d2, h.delivery(other.snapshot.id, 1), d3, h.delivery(other.snapshot.id, 2)], 0);
    await waitFor('the other hook', () => otherRx.received.length >= 2, 5_000);
    const otherDone = Date.now();

    await waitFor('d1, d2 and d3 delivered', () => [d1, d2, d3].every((d) => h.outcomesOf(d.deliveryId).some((o) => o.status === 'delivered')), 20_000);
    const order = orderedRx.received.map((x) => x.headers['webhook-id']);
    expect(order).toEqual([d1.eventId, d1.eventId, d1.eventId, d2.eventId, d3.eventId]);
    // The other hook did not wait for d1's retries.
    expect(otherDone).toBeLessThan(orderedRx.received[2].at);
    expect(statuses(d1.deliveryId)).toEqual(['1:retrying', '2:retrying', '3:delivered']);
    expect(statuses(d2.deliveryId)).toEqual(['1:delivered']);
    await waitFor('the pipe released', () => !h.dispatcher.engine.pipes().has(ordered.snapshot.id));
  });

  it('graceful shutdown finishes the attempt in flight, writes its outcome and commits it (no re-delivery after a restart)', async () => {
    const rx = await h.receiver((_req, res) => void setTimeout(() => res.writeHead(200).end('late but fine'), 1_500));
    const { snapshot } = h.snapshot({ url: rx.url, timeoutMs: 5_000 });
    await h.publishSnapshots(snapshot);
    const d = h.delivery(snapshot.id, 1);
    // Partition 1: the hanging hook above still holds deliveries on partition 0, and offsets are
    // committed only up to the lowest unfinished one (those would be handed back and re-sent).
    await h.publishDeliveries([d], 1);
    await waitFor('the attempt in flight', () => rx.received.length === 1);
    await h.restart(); // SIGTERM path: stop fetching, drain, commit, leave the group
    await waitFor('the outcome', () => statuses(d.deliveryId).length > 0);
    expect(statuses(d.deliveryId)).toEqual(['1:delivered']);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(rx.received).toHaveLength(1);
  });

  it('ordered mode survives a restart: the pipe is rebuilt from the tiers and later deliveries still wait', async () => {
    let failing = true;
    const rx = await h.receiver((_req, res) => (failing ? res.writeHead(500).end() : res.writeHead(200).end()));
    const ordered = h.snapshot({
      url: rx.url,
      deliveryMode: 'ordered',
      retryPolicy: { scheduleMs: [4_000], maxAttempts: 10, maxAgeMs: 600_000, onExhausted: 'discard' },
    });
    await h.publishSnapshots(ordered.snapshot);
    const [d1, d2] = [1, 2].map((n) => h.delivery(ordered.snapshot.id, n));
    await h.publishDeliveries([d1], 0);
    await waitFor('d1 parked', () => statuses(d1.deliveryId).includes('1:retrying'));

    await h.restart();
    // The new process found d1 parked in a tier and paused the hook before handing over anything
    // of its partition (the partitions assigned wait for the rebuild).
    await waitFor('the pipe rebuilt', () => h.dispatcher.rebuiltPipes >= 1);
    expect(h.dispatcher.engine.pipes().get(ordered.snapshot.id)).toMatchObject({ headId: d1.deliveryId });
    await h.publishDeliveries([d2], 0);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(rx.received.map((x) => x.headers['webhook-id'])).not.toContain(d2.eventId);
    failing = false;
    await waitFor('both delivered', () => [d1, d2].every((d) => h.outcomesOf(d.deliveryId).some((o) => o.status === 'delivered')), 30_000);
    const ids = rx.received.map((x) => x.headers['webhook-id']);
    expect(ids.at(-1)).toBe(d2.eventId);
    expect(new Set(ids.slice(0, -1))).toEqual(new Set([d1.eventId]));
    expect(ids.length).toBeGreaterThanOrEqual(3);
  });

  it('a restart re-sends nothing a tier had finished behind a hanging delivery, and rebuilds no pipe from it', async () => {
    // Two hooks whose retries share a tier partition: an independent one whose receiver fails,
    // then hangs, and an ordered one whose failed head comes back behind it in the same tier and
    // is delivered. The tier's committed offset stays at the hanging retry; the head finished
    // above it is in the commit's metadata. After a restart neither the consumer nor the pipe
    // rebuild may take that head for one still to come: it would be sent again, or the rebuilt
    // pipe would wait for it for ever and hold back the hook's later deliveries.
    const sId = `sub_${randomUUID()}`;
    let oId = `sub_${randomUUID()}`;
    while (partitionOf(oId) !== partitionOf(sId)) oId = `sub_${randomUUID()}`;
    let hangingFailures = 1;
    const hangingRx = await h.receiver((_req, res) => void (hangingFailures-- > 0 ? res.writeHead(500).end() : undefined));
    let orderedFailures = 1;
    const orderedRx = await h.receiver((_req, res) => {
      if (orderedFailures-- > 0) res.writeHead(500).end('not yet');
      else res.writeHead(200).end();
    });
    const oneRetry = { scheduleMs: [1_000], maxAttempts: 3, maxAgeMs: 600_000, onExhausted: 'discard' as const };
    const slow = h.snapshot({ id: sId, url: hangingRx.url, timeoutMs: 20_000, retryPolicy: oneRetry });
    const ordered = h.snapshot({ id: oId, url: orderedRx.url, deliveryMode: 'ordered', retryPolicy: oneRetry });
    await h.publishSnapshots(slow.snapshot, ordered.snapshot);

    const dS = h.delivery(sId, 1);
    await h.publishDeliveries([dS]);
    await waitFor('the first attempt of the hanging hook', () => statuses(dS.deliveryId).includes('1:retrying'));
    const [o1, o2] = [1, 2].map((n) => h.delivery(oId, n));
    await h.publishDeliveries([o1]);
    await waitFor('the ordered head parked behind it', () => statuses(o1.deliveryId).includes('1:retrying'));
    await waitFor('the ordered head delivered from the tier', () => statuses(o1.deliveryId).includes('2:delivered'), 15_000);
    await waitFor('the retry of the hanging hook in flight', () => hangingRx.received.length === 2, 15_000);
    await new Promise((r) => setTimeout(r, 1_000)); // a few periodic commits

    await h.restart(); // the hanging attempt outlasts the grace period: handed back, the tier's commit stays below it
    await h.publishDeliveries([o2]);
    await waitFor('the ordered hook\'s next delivery', () => statuses(o2.deliveryId).includes('1:delivered'), 20_000);
    expect(h.dispatcher.engine.pipes().has(oId)).toBe(false);
    expect(orderedRx.received.map((x) => x.headers['webhook-id'])).toEqual([o1.eventId, o1.eventId, o2.eventId]);
    expect(statuses(o1.deliveryId)).toEqual(['1:retrying', '2:delivered']);
  });
});
