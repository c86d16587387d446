import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { ResourceChangePublisher, type ResourceChange } from '@herald/contracts';
import { requireEnv, startReceiver, waitFor, type Receiver } from '@herald/platform/testing';
import { HeraldStack, type Tenant } from './herald-stack';

// Issue 12, items 1 and 4: what one tenant's receiver or data can do to the others, tried
// through the four services as processes. Every topic has ONE partition here, so both tenants'
// deliveries and outcomes share every partition (the worst case for a poison message).
jest.setTimeout(300_000);

interface DeliverySummary {
  id: string;
  status: string;
  attemptCount: number;
}
interface DeliveryRecord extends DeliverySummary {
  attempts: { attempt: number; status: string; httpStatus: number | null; responseExcerpt: string | null }[];
}

describe('one tenant cannot poison or stall another (issue 12.1 and 12.4)', () => {
  let stack: HeraldStack;
  const receivers: Receiver[] = [];
  let subscriptions = 0;

  beforeAll(async () => {
    stack = await HeraldStack.start('poison', { HERALD_KAFKA_PARTITIONS_OVERRIDE: '1' });
  });

  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.stop();
  });

  async function tenant(): Promise<Tenant & { projectId: string }> {
    const t = await stack.createTenant(`po-${randomUUID().slice(0, 8)}`);
    const res = await stack.call<{ id: string }>('domain-api', 'POST', '/v1/projects', t.apiKey, { name: 'P' });
    expect(res.status).toBe(201);
    return { ...t, projectId: res.body.id };
  }

  async function receiver(): Promise<Receiver> {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  }

  /** Registers a hook (waiting for the registry to know the tenant's key), then for the router to hold it. */
  async function hook(t: Tenant, body: Record<string, unknown>): Promise<string> {
    let res: { status: number; body: { id: string } } | undefined;
    const until = Date.now() + 30_000;
    do {
      res = await stack.call('subscription-registry', 'POST', '/v1/webhooks', t.apiKey, body);
      if (res.status !== 401) break;
      await new Promise((r) => setTimeout(r, 250));
    } while (Date.now() < until);
    expect(res.status).toBe(201);
    await stack.routerHasSubscriptions(++subscriptions);
    return res.body.id;
  }

  async function task(t: Tenant & { projectId: string }, name: string): Promise<string> {
    const res = await stack.call<{ id: string }>('domain-api', 'POST', '/v1/tasks', t.apiKey, { projectId: t.projectId, name });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function deliveries(t: Tenant, hookId: string): Promise<DeliverySummary[]> {
    const res = await stack.call<{ data: DeliverySummary[] }>('subscription-registry', 'GET', `/v1/webhooks/${hookId}/deliveries`, t.apiKey);
    return res.status === 200 ? res.body.data : [];
  }

  /** Waits until one of the hook's deliveries in the registry's log matches (its status, its attempts). */
  async function logged(t: Tenant, hookId: string, matches: (d: DeliverySummary) => boolean, message: string, timeoutMs = 60_000): Promise<void> {
    await waitFor(async () => (await deliveries(t, hookId)).some(matches), { timeoutMs, message });
  }

  async function registryReady(): Promise<number> {
    return (await fetch(`${stack.url('subscription-registry')}/health/ready`)).status;
  }

  it("a receiver answering 500 with a NUL byte ('oops\\0bad') leaves the registry ready and another tenant's delivery reaches delivered", async () => {
    const a = await tenant();
    const b = await tenant();
    const badReceiver = await receiver();
    badReceiver.enqueue(...Array.from({ length: 10 }, () => ({ status: 500, body: Buffer.from('oops\u0000bad', 'utf8') })));
    const goodReceiver = await receiver();
    const hookA = await hook(a, {
      url: `${badReceiver.url}/a`,
      eventTypes: ['task.created'],
      retryPolicy: { scheduleMs: [1_000], maxAttempts: 2 },
    });
    const hookB = await hook(b, { url: `${goodReceiver.url}/b`, eventTypes: ['task.created'] });

    await task(a, 'poisons the log');
    await badReceiver.waitForRequests(2, { timeoutMs: 60_000 });
    await task(b, 'must still be logged');
    await goodReceiver.waitForRequests(1, { timeoutMs: 60_000 });

    // Tenant B's delivery reaches "delivered" in its log: the outcomes partition was not held.
    await logged(b, hookB, (d) => d.status === 'delivered', "tenant B's delivery logged as delivered");
    // Tenant A's attempts are logged too, the NUL shown as U+FFFD.
    await logged(a, hookA, (d) => d.status === 'failed', "tenant A's delivery logged as failed", 30_000);
    const [summary] = await deliveries(a, hookA);
    const record = await stack.call<DeliveryRecord>('subscription-registry', 'GET', `/v1/deliveries/${summary.id}`, a.apiKey);
    expect(record.body.attempts.map((x) => [x.attempt, x.httpStatus, x.responseExcerpt])).toEqual([
      [1, 500, 'oops\uFFFDbad'],
      [2, 500, 'oops\uFFFDbad'],
    ]);
    // And the registry stayed ready throughout (checked again a little later).
    expect(await registryReady()).toBe(200);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await registryReady()).toBe(200);
  });
  it('a change of ~890 KB to a hook that fails twice, then succeeds, is delivered on the third attempt; nothing is stuck and other deliveries keep flowing', async () => {
    const a = await tenant();
    const b = await tenant();
    const bigReceiver = await receiver();
    bigReceiver.enqueue({ status: 500, body: 'not yet' }, { status: 503, body: 'still not' });
    const otherReceiver = await receiver();
    const bigHook = await hook(a, {
      url: `${bigReceiver.url}/big`,
      eventTypes: ['task.updated'],
      retryPolicy: { scheduleMs: [1_000, 1_000], maxAttempts: 3 },
    });
    const otherHook = await hook(b, { url: `${otherReceiver.url}/other`, eventTypes: ['task.created'] });

    // An internal service publishes the change straight to the topic (the domain API's request
    // body limit is far below this). Its description is text with quotes (HTML, JSON in a
    // field): each quote is 2 bytes in the event, 2 in the rendered body and 4 in the delivery
    // message that carries the body as a JSON string, so a change under the 900 KB outbox limit
    // makes a delivery message of ~1.3 MB: over the broker's 1 MB unless it is compressed.
    const quotes = '"'.repeat(10);
    const description = Array.from({ length: 22_000 }, () => `${randomBytes(15).toString('base64')}${quotes}`).join('');
    const change: ResourceChange = {
      eventId: randomUUID(),
      tenantId: a.tenantId,
      projectId: a.projectId,
      resourceType: 'task',
      resourceId: randomUUID(),
      action: 'updated',
      occurredAt: new Date().toISOString(),
      initiator: { userId: a.userId, fullName: 'Ada Admin', logonAccount: 'ada@example.test' },
      before: { name: 'small' },
      after: { name: 'big', description },
      changedFields: ['description'],
    };
    const eventBytes = Buffer.byteLength(JSON.stringify(change));
    expect(eventBytes).toBeGreaterThan(850_000);
    expect(eventBytes).toBeLessThan(900_000);
    const kafka = new Kafka({ clientId: 'e2e-big-change', brokers: requireEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    try {
      await new ResourceChangePublisher(producer, { producerName: 'e2e-big', namespace: stack.namespace }).publish(change);
    } finally {
      await producer.disconnect();
    }

    // Other deliveries keep flowing while the big one waits in its retry tier.
    await bigReceiver.waitForRequests(1, { timeoutMs: 60_000 });
    await task(b, 'flows meanwhile');
    await otherReceiver.waitForRequests(1, { timeoutMs: 60_000 });
    await logged(b, otherHook, (d) => d.status === 'delivered', "the other tenant's delivery logged as delivered");

    // The big one: two failures, then delivered on the third attempt, the same body each time.
    const attempts = await bigReceiver.waitForRequests(3, { timeoutMs: 90_000 });
    expect(attempts.map((r) => r.response.status ?? 200)).toEqual([500, 503, 200]);
    expect(new Set(attempts.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(attempts[2].json<{ data: { description: string } }>().data.description).toBe(description);
    expect(attempts[0].text).toBe(attempts[2].text);
    await logged(a, bigHook, (d) => d.status === 'delivered' && d.attemptCount === 3, 'the big delivery logged as delivered on attempt 3');

    // Nothing stuck: a later change still goes through at once.
    await task(b, 'and after');
    await otherReceiver.waitForRequests(2, { timeoutMs: 60_000 });
    expect(await registryReady()).toBe(200);
  });
});
