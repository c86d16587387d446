import { randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Topics, type Delivery, type SubscriptionSnapshot } from '@herald/contracts';
import { SecretBox } from '@herald/platform/crypto';
import { subscriptionSnapshotFixture } from '@herald/platform/testing';
import { WebhookSender } from '@herald/delivery/sending';
import { SsrfGuard } from '@herald/delivery/ssrf-guard';
import type { TrackedMessage } from '@herald/delivery/retry-tiers';
import { DEFAULT_DISPATCH_SETTINGS } from './delivery-engine';
import { engineWith } from './testing';
import { deliveryFixture } from './engine/testing';

// The engine with the real sender and its undici pool against a loopback receiver (no Kafka:
// the producer and the dead-letter writer are stand-ins; nothing here is about Kafka).

const box = SecretBox.fromSpec(randomBytes(32).toString('base64'));
const waitUntil = async (ok: () => boolean, what: string, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

// Issue 12: each tenant holds at most its share of an origin's sockets (3 of a pool of 4 here),
// but two tenants' shares add up to more than the pool. Before the pool itself bounded the
// attempts, a request over the pool waited for a socket inside undici, on its own deadline,
// behind the hanging requests: it timed out without ever being sent (retried, in the end
// dead-lettered — what the e2e bench saw).
describe('DeliveryEngine with the real sender: a request never times out waiting for a socket of its origin', () => {
  const hung: ServerResponse[] = [];
  const seen: string[] = [];
  let server: Server;
  let base = '';
  const sender = new WebhookSender(new SsrfGuard({ allowCidrs: ['127.0.0.0/8'] }), { connectionsPerOrigin: 4 });

  beforeAll(async () => {
    // One origin: /hang/* never answers (until the test ends), /b/* answers at once.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(req.url ?? '');
        if (req.url?.startsWith('/hang/')) hung.push(res);
        else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await sender.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('a tenant\'s deliveries wait for a socket held by hanging hooks (its own and another tenant\'s) without their deadline running, and are delivered', async () => {
    const snap = (over: Partial<SubscriptionSnapshot>) =>
      subscriptionSnapshotFixture({
        authorization: null,
        signingSecrets: [{ secret: box.encrypt('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), expiresAt: null }],
        retryPolicy: { scheduleMs: [60_000], maxAttempts: 2, maxAgeMs: 3_600_000, onExhausted: 'dlq' },
        ...over,
      });
    // Tenant A's three hooks and one of tenant B's hang past their timeout (each tenant within its
    // share, together the whole pool); B's two others answer at once. B's timeout is far longer than
    // an answer on loopback takes, and shorter than the hanging requests hold their sockets.
    const a = [1, 2, 3].map((i) => snap({ id: `sub-a${i}`, tenantId: 'tenant-a', url: `${base}/hang/a${i}`, timeoutMs: 4_000 }));
    const bHanging = snap({ id: 'sub-b0', tenantId: 'tenant-b', url: `${base}/hang/b0`, timeoutMs: 4_000 });
    const b = [1, 2].map((i) => snap({ id: `sub-b${i}`, tenantId: 'tenant-b', url: `${base}/b/${i}`, timeoutMs: 1_500 }));
    const { engine, produced, dead } = engineWith([...a, bHanging, ...b], sender, box, { ...DEFAULT_DISPATCH_SETTINGS, connectionsPerOriginPerTenant: 3 });
    let offset = 0;
    const offer = (d: Delivery) => {
      const m: TrackedMessage = {
        topic: Topics.Deliveries,
        partition: 0,
        offset: String(offset++),
        message: { key: Buffer.from(d.subscriptionId), value: Buffer.from(JSON.stringify(d)), headers: {}, timestamp: '0', attributes: 0, offset: '0' },
      };
      void engine.accept(m);
    };
    const outcomes = () =>
      produced.filter((p) => p.topic === Topics.DeliveryOutcomes).map((p) => JSON.parse(String(p.message.value)) as { subscriptionId: string; status: string; errorClass: string | null });
    const seenUnder = (prefix: string) => seen.filter((u) => u.startsWith(prefix)).length;

    a.forEach((s) => offer(deliveryFixture({ subscriptionId: s.id, tenantId: 'tenant-a' })));
    offer(deliveryFixture({ subscriptionId: bHanging.id, tenantId: 'tenant-b' }));
    await waitUntil(() => seenUnder('/hang/') === 4, 'four hanging requests hold the four sockets');
    b.forEach((s) => offer(deliveryFixture({ subscriptionId: s.id, tenantId: 'tenant-b' })));
    await waitUntil(() => outcomes().filter((o) => /^sub-b[12]$/.test(o.subscriptionId)).length === 2, 'an outcome for each of tenant B\'s deliveries');

    expect(outcomes().filter((o) => /^sub-b[12]$/.test(o.subscriptionId)).map((o) => [o.subscriptionId, o.status, o.errorClass]).sort()).toEqual([
      ['sub-b1', 'delivered', null],
      ['sub-b2', 'delivered', null],
    ]);
    expect([seenUnder('/b/1'), seenUnder('/b/2')]).toEqual([1, 1]);
    expect(dead).toEqual([]);
    hung.forEach((res) => res.destroy());
    await engine.drain(0);
  }, 60_000);
});
