import { randomUUID } from 'node:crypto';
import { startReceiver, waitFor, type Receiver } from '@herald/platform/testing';
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
    await waitFor(async () => (await deliveries(b, hookB)).some((d) => d.status === 'delivered'), {
      timeoutMs: 60_000,
      message: "tenant B's delivery logged as delivered",
    });
    // Tenant A's attempts are logged too, the NUL shown as U+FFFD.
    await waitFor(async () => (await deliveries(a, hookA)).some((d) => d.status === 'failed'), {
      timeoutMs: 30_000,
      message: "tenant A's delivery logged as failed",
    });
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
});
