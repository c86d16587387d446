import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ConsumerGroups, DeliveryOutcomeContract, Headers, Topics, encodeMessage, topicName, type DeliveryOutcome } from '@herald/contracts';
import { ReadinessRegistry } from '@herald/platform/observability';
import type { TestDatabase } from '@herald/platform/testing';
import { infraEnv, registryOnOwnTables, waitFor } from './registry-harness';

// Issue 12.1: the registry's outcome consumer (a ContractConsumer) against the real broker and
// database. One message that fails on its own goes to the DLQ and the others are logged; a
// database outage is retried with readiness down and loses nothing.
jest.setTimeout(180_000);

describe('delivery outcomes: a poison message never holds the partition', () => {
  // A test cuts the database off: it lets connections in again before the tables are dropped.
  const reg = registryOnOwnTables('poison', { beforeClose: (db) => allowConnections(db, true).catch(() => undefined) });
  const { namespace, kafka } = reg;

  const outcome = (p: Partial<DeliveryOutcome> = {}): DeliveryOutcome => ({
    deliveryId: randomUUID(),
    eventId: randomUUID(),
    subscriptionId: 'sub-shared',
    tenantId: 'tenant-a',
    eventType: 'task.created',
    resourceType: 'task',
    resourceId: randomUUID(),
    status: 'delivered',
    attempt: 1,
    at: new Date().toISOString(),
    httpStatus: 200,
    durationMs: 5,
    origin: 'event',
    ...p,
  });

  /** Outcomes produced in ONE request to the outcomes topic's one partition: one batch for the consumer. */
  async function publish(outcomes: DeliveryOutcome[]): Promise<void> {
    const producer = kafka.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topicName(Topics.DeliveryOutcomes, namespace),
      acks: -1,
      messages: outcomes.map((o) => ({ ...encodeMessage(DeliveryOutcomeContract, o), partition: 0 })),
    });
    await producer.disconnect();
  }

  const logged = async (ids: readonly string[]): Promise<number> =>
    (await reg.ds.query(`SELECT count(*)::int AS n FROM registry.deliveries WHERE delivery_id = ANY($1::uuid[])`, [ids]))[0].n;

  const ready = async (): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${reg.registry.url}/health/ready`);
    return { status: res.status, body: await res.text() };
  };

  const consumerCheck = (): Promise<void> => {
    const check = reg.registry.app.get(ReadinessRegistry).all().find((c) => c.name === `consumer:${ConsumerGroups.SubscriptionRegistryOutcomes}`);
    return check ? check.check() : Promise.reject(new Error('no readiness check for the outcome consumer'));
  };

  async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ connectionString: infraEnv().DATABASE_URL });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }

  const allowConnections = (db: TestDatabase, allow: boolean) =>
    admin((c) => c.query(`ALTER DATABASE ${c.escapeIdentifier(db.name)} WITH ALLOW_CONNECTIONS ${allow}`));

  it('one poison message in a batch of 60 goes to the DLQ with its reason; the 59 others are logged, two tenants alike, and readiness stays up', async () => {
    // attempt 3,000,000,000 is a valid contract value (an integer) that PostgreSQL's integer
    // column refuses (22003): it fails on its own, however often it is tried.
    const good = Array.from({ length: 59 }, (_, i) => outcome({ tenantId: i % 2 ? 'tenant-a' : 'tenant-b' }));
    const poison = outcome({ attempt: 3_000_000_000, status: 'retrying', httpStatus: 500 });
    const batch = [...good.slice(0, 30), poison, ...good.slice(30)];
    await publish(batch);

    await waitFor('the 59 good outcomes logged', async () => (await logged(good.map((o) => o.deliveryId))) === 59, 60_000);
    await waitFor('the poison message in the DLQ', () => reg.dlq.length === 1, 30_000);
    expect(await logged([poison.deliveryId])).toBe(0);
    const [dead] = reg.dlq;
    const headers = Object.fromEntries(Object.entries(dead.headers ?? {}).map(([k, v]) => [k, String(v)]));
    expect(JSON.parse(dead.value!.toString())).toMatchObject({ deliveryId: poison.deliveryId, attempt: 3_000_000_000 });
    expect(dead.key!.toString()).toBe('sub-shared');
    expect(headers[Headers.DlqErrorClass]).toBe('handler');
    expect(headers[Headers.DlqReason]).toMatch(/pg 22003/);
    expect(headers[Headers.DlqReason]).toMatch(/out of range/);
    expect(headers[Headers.DlqConsumerGroup]).toBe(`${namespace}.herald.subscription-registry.outcomes.v1`);
    expect(headers[Headers.DlqSourceTopic]).toBe(topicName(Topics.DeliveryOutcomes, namespace));
    expect(headers[Headers.Schema]).toBe('delivery-outcome/1');
    expect((await ready()).status).toBe(200);

    // The offsets moved past it: what comes next is logged too.
    const next = outcome({ tenantId: 'tenant-b' });
    await publish([next]);
    await waitFor('the next outcome logged', async () => (await logged([next.deliveryId])) === 1, 30_000);
    expect(reg.dlq).toHaveLength(1);
  });

  it('a database outage is retried with readiness down, nothing dead-lettered, nothing lost', async () => {
    const dlqBefore = reg.dlq.length;
    // The registry's database stops accepting connections and its sessions are cut: an outage
    // of this database only (the shared server keeps running for everyone else).
    await allowConnections(reg.db, false);
    await admin((c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [reg.db.name]));
    const during = Array.from({ length: 20 }, () => outcome({ tenantId: 'tenant-c' }));
    await publish(during);

    await waitFor('readiness down', async () => (await ready()).status === 503, 30_000);
    // The outcome consumer itself reports the failure (not only the database check).
    await waitFor('the outcome consumer not ready', () => consumerCheck().then(() => false, () => true), 30_000);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(reg.dlq.length).toBe(dlqBefore);

    await allowConnections(reg.db, true);
    await reg.reopenPool();
    await waitFor('every outcome of the outage logged', async () => (await logged(during.map((o) => o.deliveryId))) === 20, 60_000);
    await waitFor('ready again', async () => (await ready()).status === 200, 30_000);
    await expect(consumerCheck()).resolves.toBeUndefined();
    expect(reg.dlq.length).toBe(dlqBefore);
  });
});
