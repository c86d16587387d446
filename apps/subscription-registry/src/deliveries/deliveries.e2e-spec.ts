import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Client } from 'pg';
import {
  DeliveryContract,
  DeliveryOutcomeContract,
  Headers,
  PrincipalSnapshotContract,
  Topics,
  hashApiKey,
  principalKey,
  schemaHeaderValue,
  topicName,
  type Delivery,
  type DeliveryOutcome,
  type MessageContract,
  type PrincipalSnapshot,
  type TopicSpec,
} from '@herald/contracts';
import {
  bearerJson,
  createTestDatabase,
  deleteKafkaNamespace,
  kafkaBrokers,
  spawnService,
  startReceiver,
  uniqueKafkaNamespace,
  waitFor,
  type Receiver,
  type SpawnedService,
  type TestDatabase,
} from '@herald/platform/testing';

// Hook health and history through the real dispatcher: the registry and the dispatcher as
// processes over the real broker; deliveries are produced as the router would (a delivery and
// its `queued` outcome), so the test needs neither the domain API nor the router.
jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const TENANT = `t-${randomUUID().slice(0, 8)}`;
const API_KEY = `hk_e2edeliv01_${randomUUID().replace(/-/g, '')}`;
const OLD_DAY = new Date(Date.now() - 45 * 86_400_000).toISOString().slice(0, 10);

interface HookView {
  id: string;
  status: string;
  statusReason: string | null;
  consecutiveFailures: number;
  version: number;
}

describe('deliveries e2e: hook health, DLQ redrive, replay and Discarded on disable over the real dispatcher', () => {
  const ns = uniqueKafkaNamespace('deliveries-e2e');
  let db: TestDatabase;
  let registry: SpawnedService;
  let dispatcher: SpawnedService;
  let receiver: Receiver;
  let producer: Producer;
  /** What the receiver answers, per hook path. */
  const answers = new Map<string, number>();

  beforeAll(async () => {
    db = await createTestDatabase('deliveries-e2e');
    const env = {
      DATABASE_URL: db.url,
      HERALD_KAFKA_NAMESPACE: ns,
      HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
      HERALD_SSRF_ALLOW_CIDRS: '127.0.0.0/8',
      LOG_LEVEL: 'warn',
    };
    await promisify(execFile)(
      process.execPath,
      ['-r', '@swc-node/register', 'apps/subscription-registry/src/migrate.ts'],
      {
        cwd: ROOT,
        env: { ...process.env, ...env },
      },
    );
    // A day partition from 45 days ago with a row in it, as an older deployment would have left.
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    await pg.query(
      `CREATE TABLE registry.deliveries_p${OLD_DAY.replace(/-/g, '')} PARTITION OF registry.deliveries
         FOR VALUES FROM ('${OLD_DAY}T00:00:00Z') TO ('${OLD_DAY}T23:59:59.999999Z')`,
    );
    await pg.query(
      `INSERT INTO registry.deliveries (delivery_id, created_at, updated_at, tenant_id, subscription_id, event_id,
         event_type, resource_type, resource_id, status, status_rank, origin)
       VALUES ($1, $2, $2, 'old', 'old', 'old', 'task.created', 'task', 'old', 'delivered', 2, 'event')`,
      [randomUUID(), `${OLD_DAY}T12:00:00Z`],
    );
    await pg.end();
    [registry, dispatcher] = await Promise.all([
      spawnService('subscription-registry', env),
      spawnService('delivery-dispatcher', env),
    ]);
    receiver = await startReceiver();
    receiver.respondWith((r) => ({ status: answers.get(r.path) ?? 200, body: { status: 'OK' } }));

    const kafka = new Kafka({
      clientId: 'deliveries-e2e',
      brokers: kafkaBrokers(),
      logLevel: logLevel.NOTHING,
    });
    producer = kafka.producer();
    await producer.connect();
    const updatedAt = new Date().toISOString();
    const principals: PrincipalSnapshot[] = [
      {
        kind: 'tenant',
        tenantId: TENANT,
        slug: TENANT,
        domain: `${TENANT}.example.test`,
        name: TENANT,
        updatedAt,
      },
      {
        kind: 'user',
        tenantId: TENANT,
        userId: 'u-1',
        fullName: 'Ada Admin',
        email: 'ada@example.test',
        active: true,
        updatedAt,
      },
      {
        kind: 'api-key',
        tenantId: TENANT,
        keyId: 'e2edeliv01',
        userId: 'u-1',
        hash: hashApiKey(API_KEY),
        scopes: ['webhooks'],
        revokedAt: null,
        updatedAt,
      },
    ];
    await produce(Topics.Principals, PrincipalSnapshotContract, principals.map((p) => ({ key: principalKey(p), value: p })));
    await waitFor(async () => (await call('GET', '/v1/webhooks')).status === 200, {
      timeoutMs: 30_000,
      message: 'the registry knows the key',
    });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await receiver?.close();
    await Promise.all([registry?.stop(), dispatcher?.stop()]);
    await deleteKafkaNamespace(ns).catch(() => undefined);
    await db?.drop();
  });

  /** Messages as the services produce them: JSON, keyed, with the contract's schema header. */
  async function produce(topic: TopicSpec, contract: Pick<MessageContract<unknown>, 'type' | 'version'>, messages: { key: string; value: unknown }[]): Promise<void> {
    await producer.send({
      topic: topicName(topic, ns),
      messages: messages.map((m) => ({ key: m.key, value: JSON.stringify(m.value), headers: { [Headers.Schema]: schemaHeaderValue(contract) } })),
    });
  }

  async function call<T = Record<string, unknown>>(
    method: string,
    urlPath: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    return bearerJson<T>(`${registry.url}${urlPath}`, method, API_KEY, body);
  }

  const hook = async (id: string) => (await call<HookView>('GET', `/v1/webhooks/${id}`)).body;

  async function createHook(name: string, settings: Record<string, unknown>): Promise<HookView> {
    const res = await call<HookView>('POST', '/v1/webhooks', {
      url: `${receiver.url}/hooks/${name}`,
      eventTypes: ['*'],
      ...settings,
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  /** What the router does for one match: the delivery, and its `queued` outcome with the body. */
  async function route(h: { id: string }, resourceId: string): Promise<Delivery> {
    const now = new Date().toISOString();
    const { version } = await hook(h.id);
    const delivery: Delivery = {
      deliveryId: randomUUID(),
      eventId: `evt-${randomUUID()}`,
      subscriptionId: h.id,
      subscriptionVersion: version,
      tenantId: TENANT,
      eventType: 'task.updated',
      resourceType: 'task',
      resourceId,
      projectId: null,
      occurredAt: now,
      routedAt: now,
      attempt: 1,
      firstAttemptAt: null,
      body: JSON.stringify({ type: 'task.updated', data: { id: resourceId } }),
      contentType: 'application/json',
      headers: {},
      origin: 'event',
    };
    const queued: DeliveryOutcome = {
      deliveryId: delivery.deliveryId,
      eventId: delivery.eventId,
      subscriptionId: h.id,
      tenantId: TENANT,
      eventType: delivery.eventType,
      resourceType: 'task',
      resourceId,
      status: 'queued',
      attempt: 0,
      at: now,
      body: delivery.body,
      occurredAt: now,
      origin: 'event',
    };
    await produce(Topics.DeliveryOutcomes, DeliveryOutcomeContract, [{ key: h.id, value: queued }]);
    await produce(Topics.Deliveries, DeliveryContract, [{ key: h.id, value: delivery }]);
    return delivery;
  }

  const logged = async (deliveryId: string) =>
    (
      await call<{ status: string; attempts: { httpStatus: number | null }[]; origin: string }>(
        'GET',
        `/v1/deliveries/${deliveryId}`,
      )
    ).body;

  it('exhausted retries land in the DLQ; a redrive delivers them with the same webhook-id and clears the failures', async () => {
    const h = await createHook('dlq', {
      retryPolicy: { scheduleMs: [200], maxAttempts: 2, onExhausted: 'dlq' },
      failurePolicy: { unsubscribeOn: [], autoDisableAfter: 10 },
    });
    answers.set('/hooks/dlq', 500);
    const d = await route(h, 'task-dlq');
    await waitFor(async () => (await logged(d.deliveryId)).status === 'failed', {
      timeoutMs: 60_000,
      message: 'delivery failed',
    });
    expect((await logged(d.deliveryId)).attempts.map((a) => a.httpStatus)).toEqual([500, 500]);
    await waitFor(async () => (await hook(h.id)).consecutiveFailures === 2, { timeoutMs: 30_000 });
    expect((await hook(h.id)).status).toBe('active-with-failures');

    answers.set('/hooks/dlq', 200);
    const redrive = await call<{ href: string; state: string }>('POST', `/v1/webhooks/${h.id}/dlq/redrive`);
    expect(redrive).toMatchObject({ status: 202, body: { subscriptionId: h.id, kind: 'redrive', state: 'queued' } });
    const job = await waitFor(async () => {
      const j = await call<{ state: string; counts: { produced: number; skipped: number } }>('GET', redrive.body.href);
      return j.body.state === 'succeeded' && j.body;
    });
    expect(job.counts).toMatchObject({ produced: 1, skipped: 0 });
    const ok = await waitFor(
      () => receiver.requestsTo('/hooks/dlq').find((r) => r.response.status === 200),
      { timeoutMs: 60_000 },
    );
    expect(ok.headers['webhook-id']).toBe(d.eventId);
    await waitFor(async () => (await hook(h.id)).status === 'active', {
      timeoutMs: 30_000,
      message: 'failures cleared',
    });
    expect((await hook(h.id)).consecutiveFailures).toBe(0);
    const delivered = await waitFor(async () => {
      const list = await call<{ data: { id: string; origin: string; status: string }[] }>(
        'GET',
        `/v1/webhooks/${h.id}/deliveries?status=delivered`,
      );
      return list.body.data.length > 0 && list.body.data;
    });
    expect(delivered).toEqual([
      expect.objectContaining({ origin: 'redrive', status: 'delivered' }),
    ]);
    // Redriven once: nothing left for a second redrive.
    const again = await call<{ href: string }>('POST', `/v1/webhooks/${h.id}/dlq/redrive`);
    expect(again.status).toBe(202);
    const second = await waitFor(async () => {
      const j = await call<{ state: string; counts: { produced: number } }>('GET', again.body.href);
      return j.body.state === 'succeeded' && j.body;
    });
    expect(second.counts.produced).toBe(0);
  });

  it('consecutive failed attempts auto-disable the hook; its later deliveries end Discarded, never sent', async () => {
    const h = await createHook('flaky', {
      retryPolicy: { scheduleMs: [200], maxAttempts: 2, onExhausted: 'discard' },
      failurePolicy: { unsubscribeOn: [], autoDisableAfter: 4 },
    });
    answers.set('/hooks/flaky', 503);
    const [a, b] = [await route(h, 'task-a'), await route(h, 'task-b')];
    await waitFor(async () => (await hook(h.id)).status === 'auto-disabled', {
      timeoutMs: 60_000,
      message: 'auto-disabled',
    });
    expect((await hook(h.id)).statusReason).toMatch(/4 consecutive failed attempts/);
    // Health is applied inside the log's transaction, so the log may commit a moment later.
    await waitFor(
      async () =>
        (await logged(a.deliveryId)).status === 'discarded' &&
        (await logged(b.deliveryId)).status === 'discarded',
      { timeoutMs: 10_000, message: 'both deliveries discarded after their last attempt' },
    );
    const sent = receiver.requestsTo('/hooks/flaky').length;
    expect(sent).toBe(4);

    const late = await route(h, 'task-late');
    await waitFor(async () => (await logged(late.deliveryId)).status === 'discarded', {
      timeoutMs: 30_000,
    });
    expect((await logged(late.deliveryId)).attempts).toEqual([]);
    expect(receiver.requestsTo('/hooks/flaky')).toHaveLength(sent);
  });

  it('a 410 from the receiver deletes a hook with the default failure policy', async () => {
    const h = await createHook('gone', {});
    answers.set('/hooks/gone', 410);
    const d = await route(h, 'task-gone');
    await waitFor(async () => (await call('GET', `/v1/webhooks/${h.id}`)).status === 404, {
      timeoutMs: 60_000,
      message: 'hook deleted',
    });
    // Its history stays readable.
    const list = await call<{ data: { id: string }[] }>('GET', `/v1/webhooks/${h.id}/deliveries`);
    expect(list.body.data.map((x) => x.id)).toEqual([d.deliveryId]);
  });

  it('replay re-sends every event since a time with the same webhook-ids', async () => {
    const h = await createHook('replay', {});
    const since = new Date().toISOString();
    const sent = [await route(h, 'task-r1'), await route(h, 'task-r2')];
    await receiver.waitForRequests(2, { pathPrefix: '/hooks/replay', timeoutMs: 60_000 });
    // A replay sends what the log has: the receiver's answer comes before the registry logs it
    // (seen under load: the replay found 1 of the 2 and produced 1).
    await waitFor(
      async () =>
        (await Promise.all(sent.map((d) => logged(d.deliveryId)))).every(
          (d) => d.status === 'delivered',
        ),
      { timeoutMs: 30_000, message: 'both deliveries logged as delivered' },
    );
    const replay = await call<{ href: string }>('POST', `/v1/webhooks/${h.id}/replay`, { since });
    expect(replay.status).toBe(202);
    const job = await waitFor(async () => {
      const j = await call<{ state: string; counts: { produced: number } }>('GET', replay.body.href);
      return j.body.state === 'succeeded' && j.body;
    });
    expect(job.counts.produced).toBe(2);
    const all = await receiver.waitForRequests(4, {
      pathPrefix: '/hooks/replay',
      timeoutMs: 60_000,
    });
    expect(
      all
        .slice(2)
        .map((r) => r.headers['webhook-id'])
        .sort(),
    ).toEqual(sent.map((d) => d.eventId).sort());
  });

  it('drops the delivery log day partitions older than 28 days at start-up, keeps 28 days and creates days ahead', async () => {
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const partitions = async () =>
        (
          await pg.query<{ name: string }>(
            `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = 'registry.deliveries'::regclass ORDER BY 1`,
          )
        ).rows.map((r) => r.name);
      await waitFor(
        async () => !(await partitions()).includes(`deliveries_p${OLD_DAY.replace(/-/g, '')}`),
        {
          timeoutMs: 30_000,
          message: 'the old partition is dropped',
        },
      );
      const names = await partitions();
      const day = (offset: number) =>
        new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
      for (const offset of [-27, -1, 0, 1, 3])
        expect(names).toContain(`deliveries_p${day(offset)}`);
      const old = await pg.query(`SELECT 1 FROM registry.deliveries WHERE tenant_id = 'old'`);
      expect(old.rowCount).toBe(0);
    } finally {
      await pg.end();
    }
  });
});
