import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import {
  ALL_TOPICS,
  DeliveryContract,
  DeliveryOutcomeContract,
  Headers,
  PrincipalSnapshotContract,
  hashApiKey,
  principalKey,
  type PrincipalSnapshot,
  SubscriptionSnapshotSchema,
  Topics,
  schemaHeaderValue,
  topicName,
  type Delivery,
  type DeliveryOutcome,
  type FailurePolicy,
} from '@herald/contracts';
import { DatabaseEnv, HeraldConfigModule, KafkaEnv, SecretsEnv } from '@herald/platform/config';
import { DatabaseModule, runMigrations } from '@herald/platform/db';
import { KafkaModule, TopicAdmin } from '@herald/platform/kafka';
import { MetricsRegistry, ObservabilityModule } from '@herald/platform/observability';
import {
  createTestDatabase,
  deleteKafkaNamespace,
  uniqueKafkaNamespace,
  waitFor,
} from '@herald/platform/testing';
import {
  ActiveJobExistsError,
  DELIVERY_CURSOR_PATTERN,
  DeliveryLogRepository,
  GetDelivery,
  RecordDeliveryOutcomes,
  RedeliverDelivery,
  ResendJobsRepository,
  ResendRefusedError,
  StartResendJob,
  type ResendJob,
} from '@herald/registry/delivery-log';
import { PrincipalsModule, PrincipalsView } from '@herald/registry/principals';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import {
  CreateSubscription,
  DisableSubscription,
  EnableSubscription,
  EndpointProbe,
  SubscriptionRepository,
  SubscriptionsModule,
  UrlGuard,
  type EndpointAnswer,
} from '@herald/registry/subscriptions';
import { registryDataSource } from '../database';
import { DeliveriesController } from './deliveries.controller';
import { DeliveryLogModule } from '@herald/registry/delivery-log';

const TENANT = 'tenant-dl';
const KEY = `hk_dlkey0001_${'a'.repeat(32)}`;
const OTHER_KEY = `hk_dlkey0002_${'b'.repeat(32)}`;

function principals(tenantId: string, keyId: string, key: string): PrincipalSnapshot[] {
  const updatedAt = new Date().toISOString();
  return [
    {
      kind: 'tenant',
      tenantId,
      slug: tenantId,
      domain: `${tenantId}.example.com`,
      name: tenantId,
      updatedAt,
    },
    {
      kind: 'user',
      tenantId,
      userId: `${tenantId}-user`,
      fullName: 'Anna Doe',
      email: 'anna@example.com',
      active: true,
      updatedAt,
    },
    {
      kind: 'api-key',
      tenantId,
      keyId,
      userId: `${tenantId}-user`,
      hash: hashApiKey(key),
      scopes: ['webhooks'],
      revokedAt: null,
      updatedAt,
    },
  ];
}

class AllowAllUrls extends UrlGuard {
  async refusal(): Promise<string | null> {
    return null;
  }
}

class AlwaysOkProbe extends EndpointProbe {
  private readonly ok: EndpointAnswer = {
    ok: true,
    httpStatus: 200,
    durationMs: 1,
    bodyExcerpt: '{"status":"OK"}',
    errorClass: null,
    errorMessage: null,
  };
  async verify(): Promise<EndpointAnswer> {
    return this.ok;
  }
  async send(): Promise<EndpointAnswer> {
    return this.ok;
  }
}

describe('deliveries: outcomes consumer, hook health, redeliver / replay / DLQ redrive (Postgres + Kafka)', () => {
  const ns = uniqueKafkaNamespace('deliveries');
  let db: { url: string; drop(): Promise<void> };
  let moduleRef: TestingModule;
  let app: INestApplication;
  let baseUrl: string;
  let ds: DataSource;
  let kafka: Kafka;
  let producer: Producer;
  let collector: Consumer;
  const delivered: { key: string; value: Delivery }[] = [];
  const snapshots: { key: string; value: unknown }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('deliveries');
    const env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: process.env['KAFKA_BROKERS'],
      HERALD_KAFKA_NAMESPACE: ns,
      HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
      HERALD_SECRETS_KEY: `k1:${randomBytes(32).toString('base64')}`,
    };
    const dsOptions = registryDataSource(db.url);
    await runMigrations(dsOptions);
    moduleRef = await Test.createTestingModule({
      imports: [
        HeraldConfigModule.forRoot(
          'subscription-registry',
          z.object({ ...KafkaEnv.shape, ...DatabaseEnv.shape, ...SecretsEnv.shape }),
          env,
        ),
        ObservabilityModule.forRoot({ service: 'subscription-registry', logLevel: 'warn' }),
        DatabaseModule.forRoot(() => dsOptions),
        KafkaModule.forRoot({ clientId: 'deliveries-int' }),
        SubscriptionsModule.forRoot({
          republishIntervalMs: 60_000,
          providers: [
            {
              provide: SubscriptionSecrets,
              useValue: SubscriptionSecrets.fromSpec(env.HERALD_SECRETS_KEY),
            },
            { provide: EndpointProbe, useClass: AlwaysOkProbe },
            { provide: UrlGuard, useClass: AllowAllUrls },
          ],
        }),
        DeliveryLogModule.forRoot({
          settings: { retentionDays: 28, daysAhead: 3, maintenanceIntervalMs: 3_600_000 },
          resendJobs: { pollMs: 200, batchSize: 100 },
        }),
        PrincipalsModule,
      ],
      controllers: [DeliveriesController],
    }).compile();
    await moduleRef.get(TopicAdmin).ensureTopics(ALL_TOPICS);

    kafka = new Kafka({
      clientId: 'deliveries-int-plain',
      brokers: process.env['KAFKA_BROKERS']!.split(','),
      logLevel: logLevel.NOTHING,
    });
    producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topicName(Topics.Principals, ns),
      messages: [
        ...principals(TENANT, 'dlkey0001', KEY),
        ...principals('tenant-other', 'dlkey0002', OTHER_KEY),
      ].map((p) => ({
        key: principalKey(p),
        value: JSON.stringify(p),
        headers: { [Headers.Schema]: schemaHeaderValue(PrincipalSnapshotContract) },
      })),
    });

    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    const view = moduleRef.get(PrincipalsView);
    await view.start();
    await view.caughtUp;
    ds = moduleRef.get(DataSource);
    collector = kafka.consumer({ groupId: `${ns}.test-collector` });
    await collector.connect();
    await collector.subscribe({
      topics: [topicName(Topics.Deliveries, ns), topicName(Topics.Subscriptions, ns)],
      fromBeginning: true,
    });
    await collector.run({
      eachMessage: async ({ topic, message }) => {
        const key = message.key!.toString();
        const value = message.value ? JSON.parse(message.value.toString()) : null;
        if (topic === topicName(Topics.Deliveries, ns)) delivered.push({ key, value });
        else snapshots.push({ key, value });
      },
    });
  }, 120_000);

  afterAll(async () => {
    await collector?.disconnect();
    await producer?.disconnect();
    await app?.close();
    await deleteKafkaNamespace(ns);
    await db?.drop();
  }, 60_000);

  async function createHook(failurePolicy: Partial<FailurePolicy>): Promise<string> {
    const { subscription } = await moduleRef.get(CreateSubscription).execute({
      tenantId: TENANT,
      ownerUserId: 'user-1',
      settings: { url: 'https://receiver.example.com/hook', eventTypes: ['*'], failurePolicy },
    });
    return subscription.id;
  }

  const hook = (id: string) => new SubscriptionRepository(ds.manager).find(TENANT, { id });

  let seq = 0;
  function outcome(subscriptionId: string, p: Partial<DeliveryOutcome> = {}): DeliveryOutcome {
    seq += 1;
    return {
      deliveryId: randomUUID(),
      eventId: `evt-${seq}`,
      subscriptionId,
      tenantId: TENANT,
      eventType: 'task.updated',
      resourceType: 'task',
      resourceId: `task-${seq}`,
      status: 'retrying',
      attempt: 1,
      at: new Date().toISOString(),
      origin: 'event',
      ...p,
    };
  }
  const failure = (sub: string, p: Partial<DeliveryOutcome> = {}) =>
    outcome(sub, {
      status: 'retrying',
      httpStatus: 500,
      errorClass: 'http_status',
      durationMs: 20,
      responseExcerpt: 'oops',
      ...p,
    });

  async function produceOutcomes(values: DeliveryOutcome[]): Promise<void> {
    await producer.send({
      topic: topicName(Topics.DeliveryOutcomes, ns),
      messages: values.map((v) => ({
        key: v.subscriptionId,
        value: JSON.stringify(v),
        headers: { [Headers.Schema]: schemaHeaderValue(DeliveryOutcomeContract) },
      })),
    });
  }

  const attemptsLogged = async (deliveryId: string) =>
    (await moduleRef.get(GetDelivery).execute({ tenantId: TENANT, deliveryId }))?.attemptLog
      .length ?? 0;

  it('failed attempts make a hook active-with-failures, duplicates do not count, the threshold auto-disables it (snapshot too)', async () => {
    const id = await createHook({
      unsubscribeOn: [],
      unsubscribeAction: 'disable',
      autoDisableAfter: 3,
      deleteAtThreshold: false,
    });
    const first = failure(id);
    await produceOutcomes([first]);
    await waitFor(async () => (await hook(id))?.status === 'active-with-failures', {
      timeoutMs: 30_000,
    });
    expect((await hook(id))!.consecutiveFailures).toBe(1);

    // The same outcome again (at-least-once) and the next attempt: only the new attempt counts.
    const second = failure(id, {
      deliveryId: first.deliveryId,
      eventId: first.eventId,
      attempt: 2,
    });
    await produceOutcomes([first, second]);
    await waitFor(async () => (await attemptsLogged(first.deliveryId)) === 2, {
      timeoutMs: 30_000,
    });
    await waitFor(async () => (await hook(id))?.consecutiveFailures === 2, { timeoutMs: 30_000 });
    expect((await hook(id))!.status).toBe('active-with-failures');

    const last = failure(id, { deliveryId: first.deliveryId, eventId: first.eventId, attempt: 3, status: 'failed' });
    await produceOutcomes([last]);
    await waitFor(async () => (await hook(id))?.status === 'auto-disabled', { timeoutMs: 30_000 });
    const disabled = (await hook(id))!;
    expect(disabled.consecutiveFailures).toBe(3);
    expect(disabled.statusReason).toMatch(/3 consecutive failed attempts/);
    // The dispatcher learns it from the compacted snapshot topic.
    await waitFor(
      () =>
        snapshots.some(
          (s) =>
            s.key === id && SubscriptionSnapshotSchema.parse(s.value).status === 'auto-disabled',
        ),
      { timeoutMs: 30_000 },
    );
    // The failed delivery was dead-lettered: counted once.
    const dlqCount = async () =>
      (
        await moduleRef
          .get(MetricsRegistry)
          .registry.getSingleMetric('herald_dlq_messages_total')!
          .get()
      ).values[0]?.value;
    await waitFor(async () => (await dlqCount()) === 1, { timeoutMs: 10_000 });
    // The same final outcome again (at-least-once): not dead-lettered twice.
    await produceOutcomes([last]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await dlqCount()).toBe(1);
  });

  it('a success clears the failures and brings the hook back to active', async () => {
    const id = await createHook({ unsubscribeOn: [], autoDisableAfter: 10 });
    await produceOutcomes([failure(id), failure(id, { errorClass: 'timeout', httpStatus: null })]);
    await waitFor(async () => (await hook(id))?.consecutiveFailures === 2, { timeoutMs: 30_000 });
    expect((await hook(id))!.status).toBe('active-with-failures');
    await produceOutcomes([outcome(id, { status: 'delivered', httpStatus: 200 })]);
    await waitFor(async () => (await hook(id))?.status === 'active', { timeoutMs: 30_000 });
    expect((await hook(id))!.consecutiveFailures).toBe(0);
  });

  it('401 in unsubscribeOn with action delete removes the hook at once (ProProfs)', async () => {
    const id = await createHook({
      unsubscribeOn: [401],
      unsubscribeAction: 'delete',
      autoDisableAfter: 3,
      deleteAtThreshold: true,
    });
    await produceOutcomes([failure(id, { httpStatus: 401 })]);
    await waitFor(async () => (await hook(id)) === null, { timeoutMs: 30_000 });
    await waitFor(() => snapshots.some((s) => s.key === id && s.value === null), {
      timeoutMs: 30_000,
    });
  });

  it('410 in unsubscribeOn with action disable turns the hook off at once', async () => {
    const id = await createHook({
      unsubscribeOn: [410],
      unsubscribeAction: 'disable',
      autoDisableAfter: 20,
    });
    await produceOutcomes([failure(id, { httpStatus: 410 })]);
    await waitFor(async () => (await hook(id))?.status === 'auto-disabled', { timeoutMs: 30_000 });
    expect((await hook(id))!.statusReason).toMatch(/410/);
  });

  it('deleteAtThreshold deletes instead of disabling when the count is reached', async () => {
    const id = await createHook({
      unsubscribeOn: [],
      autoDisableAfter: 2,
      deleteAtThreshold: true,
    });
    await produceOutcomes([failure(id), failure(id, { status: 'failed', attempt: 2 })]);
    await waitFor(async () => (await hook(id)) === null, { timeoutMs: 30_000 });
  });

  it("with countFailures 'deliveries' only a delivery's final failure counts toward the threshold", async () => {
    const id = await createHook({
      unsubscribeOn: [],
      autoDisableAfter: 2,
      countFailures: 'deliveries',
    });
    const first = failure(id);
    await produceOutcomes([first, failure(id, { deliveryId: first.deliveryId, attempt: 2 })]);
    await waitFor(async () => (await attemptsLogged(first.deliveryId)) === 2, {
      timeoutMs: 30_000,
    });
    await waitFor(async () => (await hook(id))?.status === 'active-with-failures', {
      timeoutMs: 30_000,
    });
    expect((await hook(id))!.consecutiveFailures).toBe(0);
    await produceOutcomes([
      failure(id, { deliveryId: first.deliveryId, attempt: 3, status: 'failed' }),
    ]);
    await waitFor(async () => (await hook(id))?.consecutiveFailures === 1, { timeoutMs: 30_000 });
    await produceOutcomes([failure(id, { status: 'discarded' })]);
    await waitFor(async () => (await hook(id))?.status === 'auto-disabled', { timeoutMs: 30_000 });
    expect((await hook(id))!.statusReason).toMatch(/2 consecutive failed deliveries/);
  });

  it('outcomes of a disabled hook (discarded by the dispatcher) change nothing', async () => {
    const id = await createHook({ unsubscribeOn: [], autoDisableAfter: 1 });
    await moduleRef.get(DisableSubscription).execute({ tenantId: TENANT, subscription: { id } });
    const discarded = outcome(id, {
      status: 'discarded',
      errorClass: 'subscription_inactive',
      httpStatus: null,
    });
    await produceOutcomes([discarded]);
    await waitFor(async () => (await attemptsLogged(discarded.deliveryId)) === 1, {
      timeoutMs: 30_000,
    });
    const h = (await hook(id))!;
    expect([h.status, h.consecutiveFailures]).toEqual(['disabled', 0]);
  });

  /** A delivery as the router and dispatcher log it: queued with its body, then attempt 1 failed (or 1 failed, 2 delivered). */
  async function logDelivery(
    subscriptionId: string,
    p: Partial<DeliveryOutcome> = {},
    end: 'failed' | 'delivered' = 'failed',
  ): Promise<DeliveryOutcome> {
    const queued = outcome(subscriptionId, {
      status: 'queued',
      attempt: 0,
      body: JSON.stringify({ seq }),
      occurredAt: new Date().toISOString(),
      ...p,
    });
    const first: DeliveryOutcome = {
      ...queued,
      status: end === 'failed' ? 'failed' : 'retrying',
      attempt: 1,
      httpStatus: 500,
      errorClass: 'http_status',
      body: null,
    };
    const second: DeliveryOutcome[] =
      end === 'delivered'
        ? [{ ...queued, status: 'delivered', attempt: 2, httpStatus: 200, body: null }]
        : [];
    await moduleRef.get(RecordDeliveryOutcomes).execute({ outcomes: [queued, first, ...second] });
    return queued;
  }

  it('redeliver sends the same body and event id again as a new delivery (origin redeliver)', async () => {
    const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
    const original = await logDelivery(id);
    const r = await moduleRef
      .get(RedeliverDelivery)
      .execute({ tenantId: TENANT, deliveryId: original.deliveryId });
    expect(r.deliveryId).not.toBe(original.deliveryId);
    const sent = await waitFor(() => delivered.find((d) => d.value.deliveryId === r.deliveryId), {
      timeoutMs: 30_000,
    });
    expect(sent.key).toBe(id);
    expect(DeliveryContract.schema.parse(sent.value)).toMatchObject({
      eventId: original.eventId,
      subscriptionId: id,
      tenantId: TENANT,
      body: original.body,
      attempt: 1,
      origin: 'redeliver',
      eventType: original.eventType,
      resourceId: original.resourceId,
    });
    const logged = await moduleRef
      .get(GetDelivery)
      .execute({ tenantId: TENANT, deliveryId: r.deliveryId });
    expect(logged).toMatchObject({
      status: 'queued',
      origin: 'redeliver',
      body: original.body,
      eventId: original.eventId,
    });
    // Another tenant's delivery does not exist for the caller.
    await expect(
      moduleRef
        .get(RedeliverDelivery)
        .execute({ tenantId: 'other', deliveryId: original.deliveryId }),
    ).rejects.toMatchObject({
      kind: 'delivery-not-found',
    });
  });

  /** Starts a job and waits until it is finished. */
  async function runJob(
    cmd: { subscriptionId: string } & ({ kind: 'replay'; since: Date } | { kind: 'redrive' }),
  ): Promise<ResendJob> {
    const job = await moduleRef.get(StartResendJob).execute({ tenantId: TENANT, ...cmd });
    expect(job.state).toBe('queued');
    const jobs = moduleRef.get(ResendJobsRepository);
    return waitFor(
      async () => {
        const j = await jobs.get(TENANT, cmd.subscriptionId, job.id);
        return j && (j.state === 'succeeded' || j.state === 'failed') ? j : undefined;
      },
      { timeoutMs: 60_000, message: `${cmd.kind} job ${job.id} finished` },
    );
  }

  const dead = (subscriptionId: string, n: number, body = `{"dead":${n}}`): Delivery => ({
    deliveryId: randomUUID(),
    eventId: `dead-${subscriptionId}-${n}`,
    subscriptionId,
    subscriptionVersion: 1,
    tenantId: TENANT,
    eventType: 'task.created',
    resourceType: 'task',
    resourceId: `t-${n}`,
    projectId: 'p-1',
    occurredAt: new Date().toISOString(),
    routedAt: new Date().toISOString(),
    attempt: 7,
    firstAttemptAt: new Date(Date.now() - 86_400_000).toISOString(),
    body,
    contentType: 'application/json',
    headers: { 'x-format': 'native' },
    origin: 'event',
  });
  const dlqMessage = (d: Delivery) => ({
    key: d.subscriptionId,
    value: JSON.stringify(d),
    headers: {
      [Headers.Schema]: schemaHeaderValue(DeliveryContract),
      [Headers.DlqReason]: 'attempts exhausted',
    },
  });

  /** `n` deliveries of the hook logged as Queued, 1 ms apart from 30 s ago, event `${prefix}-${id}-${i}`. */
  const queuedDeliveries = (id: string, n: number, prefix: string, body: (i: number) => string): DeliveryOutcome[] => {
    const at = Date.now() - 30_000;
    return Array.from({ length: n }, (_, i) =>
      outcome(id, { status: 'queued', attempt: 0, eventId: `${prefix}-${id}-${i}`, at: new Date(at + i).toISOString(), body: body(i) }),
    );
  };
  /** What a replay or a redrive produced for the hook so far, in topic order. */
  const resentFor = (id: string, origin: 'replay' | 'redrive') => delivered.filter((d) => d.key === id && d.value.origin === origin);

  it('replay (a job) re-sends every delivery logged since a time, once per event (origin replay)', async () => {
    const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
    await logDelivery(id, { at: new Date(Date.now() - 3_600_000).toISOString() });
    const since = new Date(Date.now() - 60_000);
    const recent = [await logDelivery(id), await logDelivery(id), await logDelivery(id)];
    const job = await runJob({ subscriptionId: id, kind: 'replay', since });
    expect(job).toMatchObject({ state: 'succeeded', produced: 3, scanned: 3, progress: 1, error: null });
    await waitFor(() => resentFor(id, 'replay').length === 3, { timeoutMs: 30_000 });
    const replayed = resentFor(id, 'replay').map((d) => d.value);
    expect(replayed.map((d) => d.eventId)).toEqual(recent.map((o) => o.eventId));
    expect(replayed.map((d) => d.body)).toEqual(recent.map((o) => o.body));
    expect(new Set(replayed.map((d) => d.deliveryId)).size).toBe(3);
  });

  it('a replay bigger than one page and than 1 MB (250 events of 8 KB) is produced in bounded batches, each event once', async () => {
    // Before jobs, a replay produced a whole page (500 rows) in one request: 250 × 8 KB was
    // refused by the broker (over max.message.bytes) and the replay failed.
    const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
    const since = new Date(Date.now() - 60_000);
    const queued = queuedDeliveries(id, 250, 'big', (i) => JSON.stringify({ i, pad: 'x'.repeat(8_000) }));
    for (let i = 0; i < queued.length; i += 100)
      await moduleRef.get(RecordDeliveryOutcomes).execute({ outcomes: queued.slice(i, i + 100) });
    const job = await runJob({ subscriptionId: id, kind: 'replay', since });
    expect(job).toMatchObject({ state: 'succeeded', produced: 250, scanned: 250, progress: 1, error: null });
    await waitFor(() => resentFor(id, 'replay').length >= 250, { timeoutMs: 60_000, message: '250 replayed deliveries on the topic' });
    expect(resentFor(id, 'replay').map((d) => d.value.eventId)).toEqual(queued.map((q) => q.eventId));
  });

  it('a replay job left running by a dead worker is resumed from its cursor by another', async () => {
    const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
    const since = new Date(Date.now() - 60_000);
    const queued = queuedDeliveries(id, 150, 'resume', (i) => `{"i":${i}}`);
    await moduleRef.get(RecordDeliveryOutcomes).execute({ outcomes: queued });
    // A job a worker claimed, produced the first page of (100) and then died: still "running",
    // its heartbeat long gone.
    const jobs = moduleRef.get(ResendJobsRepository);
    const log = moduleRef.get(DeliveryLogRepository);
    const firstPage = await log.resendablePage(TENANT, id, { since, until: new Date() }, { limit: 100 });
    // Written "running" in one statement: a job inserted "queued" and then updated could be
    // claimed by the live worker in between and replayed from the start (seen in a full run).
    const job = { id: randomUUID() };
    await ds.query(
      `INSERT INTO registry.resend_jobs (id, tenant_id, subscription_id, kind, state, since, until, created_at, updated_at,
                                         owner, runs, started_at, heartbeat_at, scanned, produced, cursor)
       VALUES ($1, $2, $3, 'replay', 'running', $4, now(), now(), now(),
               'dead-worker', 1, now(), now() - interval '10 minutes', 100, 100, $5::jsonb)`,
      [job.id, TENANT, id, since.toISOString(), JSON.stringify({ kind: 'replay', after: firstPage[99].position })],
    );
    const done = await waitFor(
      async () => {
        const j = await jobs.get(TENANT, id, job.id);
        return j?.state === 'succeeded' ? j : undefined;
      },
      { timeoutMs: 60_000, message: 'the stale job is taken over and finished' },
    );
    expect(done).toMatchObject({ produced: 150, scanned: 150, runs: 2 });
    await waitFor(() => resentFor(id, 'replay').length >= 50, { timeoutMs: 30_000 });
    expect(resentFor(id, 'replay').map((d) => d.value.eventId)).toEqual(queued.slice(100).map((q) => q.eventId));
  });

  it('one job per hook at a time: five racing starts make one job, the others are refused naming it', async () => {
    const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
    // Enough to replay that the job is still unfinished while the five starts race.
    const at = Date.now() - 30_000;
    await moduleRef.get(RecordDeliveryOutcomes).execute({
      outcomes: Array.from({ length: 300 }, (_, i) =>
        outcome(id, { status: 'queued', attempt: 0, at: new Date(at + i).toISOString(), body: '{}' }),
      ),
    });
    const start = () =>
      moduleRef
        .get(StartResendJob)
        .execute({ tenantId: TENANT, subscriptionId: id, kind: 'replay', since: new Date(at - 1_000) })
        .then(
          (job) => ({ job, e: null }),
          (e: unknown) => ({ job: null, e }),
        );
    const results = await Promise.all([start(), start(), start(), start(), start()]);
    const made = results.filter((r) => r.job);
    expect(made).toHaveLength(1);
    for (const r of results.filter((x) => x.e)) {
      expect(r.e).toBeInstanceOf(ActiveJobExistsError);
      expect((r.e as ActiveJobExistsError).activeJobId).toBe(made[0].job!.id);
    }
    expect(await moduleRef.get(ResendJobsRepository).list(TENANT, id, 100)).toHaveLength(1);
  });

  it("DLQ redrive (a job) re-produces this hook's dead-lettered deliveries once, attempt reset (origin redrive)", async () => {
    const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
    const other = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
    const mine = [dead(id, 1), dead(id, 2)];
    await producer.send({
      topic: topicName(Topics.DeliveriesDlq, ns),
      messages: [
        dlqMessage(mine[0]),
        dlqMessage(dead(other, 1)),
        { key: id, value: 'not json', headers: { [Headers.DlqReason]: 'poison' } },
        dlqMessage(mine[1]),
      ],
    });

    expect(await runJob({ subscriptionId: id, kind: 'redrive' })).toMatchObject({
      state: 'succeeded',
      produced: 2,
      skipped: 1,
      progress: 1,
    });
    await waitFor(() => resentFor(id, 'redrive').length === 2, { timeoutMs: 30_000 });
    const redriven = resentFor(id, 'redrive').map((d) => d.value);
    expect(redriven.map((d) => d.eventId).sort()).toEqual(mine.map((d) => d.eventId).sort());
    for (const d of redriven) {
      expect(d).toMatchObject({ attempt: 1, firstAttemptAt: null, subscriptionId: id });
      expect(mine.map((m) => m.deliveryId)).not.toContain(d.deliveryId);
      expect(d.headers).toEqual({ 'x-format': 'native' });
    }
    expect(delivered.some((d) => d.key === other)).toBe(false);

    // Already redriven: nothing the second time; a new dead letter: just that one.
    expect(await runJob({ subscriptionId: id, kind: 'redrive' })).toMatchObject({
      state: 'succeeded',
      produced: 0,
      skipped: 0,
    });
    const later = dead(id, 3);
    await producer.send({
      topic: topicName(Topics.DeliveriesDlq, ns),
      messages: [dlqMessage(later)],
    });
    expect(await runJob({ subscriptionId: id, kind: 'redrive' })).toMatchObject({
      state: 'succeeded',
      produced: 1,
      skipped: 0,
    });
    await waitFor(() => resentFor(id, 'redrive').some((d) => d.value.eventId === later.eventId), { timeoutMs: 30_000 });
  });

  it('a redrive of a DLQ larger than 1 MB (30 dead letters of 60 KB) produces in bounded batches and moves its mark', async () => {
    // Before jobs, the redrive held every message in memory and produced them in one request:
    // 1.8 MB to one partition was refused by the broker and the redrive failed every time.
    const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
    const mine = Array.from({ length: 30 }, (_, i) =>
      dead(id, i, JSON.stringify({ i, pad: 'y'.repeat(60_000) })),
    );
    for (let i = 0; i < mine.length; i += 10)
      await producer.send({
        topic: topicName(Topics.DeliveriesDlq, ns),
        messages: mine.slice(i, i + 10).map(dlqMessage),
      });
    const job = await runJob({ subscriptionId: id, kind: 'redrive' });
    expect(job).toMatchObject({ state: 'succeeded', produced: 30, skipped: 0, progress: 1, error: null });
    expect(job.total).toBeGreaterThanOrEqual(30);
    expect(job.scanned).toBe(job.total);
    await waitFor(() => resentFor(id, 'redrive').length === 30, { timeoutMs: 60_000, message: '30 redriven deliveries on the topic' });
    const redriven = resentFor(id, 'redrive').map((d) => d.value);
    expect(redriven.map((d) => d.eventId).sort()).toEqual(mine.map((d) => d.eventId).sort());
    expect(redriven.every((d) => d.body.length > 60_000)).toBe(true);
    expect(await runJob({ subscriptionId: id, kind: 'redrive' })).toMatchObject({ produced: 0 });
  });

  it('operational events: a hook auto-disabled or failing sends hook.failing and hook.disabled to the operations hooks, never to "*" hooks; an operations hook\'s own changes send none', async () => {
    const ops = (
      await moduleRef.get(CreateSubscription).execute({
        tenantId: TENANT,
        ownerUserId: 'user-1',
        settings: {
          url: 'https://ops.example.com/hook',
          eventTypes: ['hook.disabled', 'hook.failing', 'hook.enabled'],
          failurePolicy: { unsubscribeOn: [], autoDisableAfter: 1 },
        },
      })
    ).subscription.id;
    const everything = await createHook({ unsubscribeOn: [], autoDisableAfter: null }); // eventTypes ['*']
    const failing = await createHook({ unsubscribeOn: [], autoDisableAfter: 2 });
    await produceOutcomes([failure(failing)]);
    await produceOutcomes([failure(failing, { attempt: 2 })]);
    await waitFor(async () => (await hook(failing))?.status === 'auto-disabled', { timeoutMs: 30_000 });
    const opsDeliveries = () => delivered.filter((d) => d.key === ops).map((d) => d.value);
    await waitFor(() => opsDeliveries().length >= 2, { timeoutMs: 30_000, message: 'two operational deliveries' });
    const [first, second] = opsDeliveries();
    expect([first.eventType, second.eventType]).toEqual(['hook.failing', 'hook.disabled']);
    expect(second).toMatchObject({ resourceType: 'hook', resourceId: failing, origin: 'event', attempt: 1 });
    expect(JSON.parse(second.body)).toMatchObject({
      type: 'hook.disabled',
      resource: { type: 'hook', id: failing },
      data: { hookId: failing, status: 'auto-disabled', previousStatus: 'active-with-failures', consecutiveFailures: 2, reason: expect.stringMatching(/2 consecutive/) },
    });
    expect(second.eventId).toBe(JSON.parse(second.body).id);
    expect(delivered.some((d) => d.key === everything && d.value.eventType.startsWith('hook.'))).toBe(false);
    // The operations hook itself fails and is auto-disabled: no event about it, to anyone.
    await produceOutcomes([failure(ops)]);
    await waitFor(async () => (await hook(ops))?.status === 'auto-disabled', { timeoutMs: 30_000 });
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM registry.operational_events WHERE subscription_id = $1`, [ops]);
    expect(n).toBe(0);
    // Enabling the failing hook by hand: hook.enabled (the operations hook is off now: nothing is sent).
    await moduleRef.get(EnableSubscription).execute({ tenantId: TENANT, subscription: { id: failing } });
    const events: { type: string }[] = await ds.query(
      `SELECT type FROM registry.operational_events WHERE subscription_id = $1 ORDER BY occurred_at`,
      [failing],
    );
    expect(events.map((e) => e.type)).toEqual(['hook.failing', 'hook.disabled', 'hook.enabled']);
  });

  it('stats: attempts by outcome, success rate, p50/p99 and the latest attempt from the per-minute rollup, each attempt once', async () => {
    const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
    const ok = Array.from({ length: 9 }, (_, i) =>
      outcome(id, { status: 'delivered', httpStatus: 200, durationMs: 40 + i }),
    );
    const slow = outcome(id, { status: 'retrying', httpStatus: 500, errorClass: 'http_status', durationMs: 900 });
    await produceOutcomes([...ok, slow, ok[0], slow]); // duplicates: counted once
    const res = await waitFor(async () => {
      const r = await fetch(`${baseUrl}/v1/webhooks/${id}/stats?hours=1&bucketMinutes=5`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const body = (await r.json()) as any;
      return body.summary?.attempts?.total === 10 && body;
    }, { timeoutMs: 30_000 });
    expect(res.summary.attempts).toEqual({ delivered: 9, retrying: 1, failed: 0, discarded: 0, total: 10 });
    expect(res.summary.successRate).toBeCloseTo(0.9);
    expect(res.summary.latencyMs.p50).toBeGreaterThan(35);
    expect(res.summary.latencyMs.p50).toBeLessThanOrEqual(50);
    expect(res.summary.latencyMs.p99).toBeGreaterThan(750);
    expect(res.summary.lastAttempt).toMatchObject({ status: expect.any(String) });
    expect(res.series).toHaveLength(12);
    const total = res.series.reduce((n: number, p: { delivered: number; retrying: number }) => n + p.delivered + p.retrying, 0);
    expect(total).toBe(10);
    const bad = await fetch(`${baseUrl}/v1/webhooks/${id}/stats?hours=1e9`, { headers: { authorization: `Bearer ${KEY}` } });
    expect([bad.status, bad.headers.get('content-type')]).toEqual([400, expect.stringContaining('problem+json')]);
    const other = await fetch(`${baseUrl}/v1/webhooks/${id}/stats`, { headers: { authorization: `Bearer ${OTHER_KEY}` } });
    expect(other.status).toBe(404);
  });

  it('refuses to re-send to a disabled hook', async () => {
    const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
    const original = await logDelivery(id);
    await moduleRef.get(DisableSubscription).execute({ tenantId: TENANT, subscription: { id } });
    const err = await moduleRef
      .get(RedeliverDelivery)
      .execute({ tenantId: TENANT, deliveryId: original.deliveryId })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ResendRefusedError);
    expect(err.kind).toBe('hook-inactive');
  });

  describe('HTTP', () => {
    const call = async (
      method: string,
      path: string,
      opts: { key?: string | null; body?: unknown } = {},
    ) => {
      const key = opts.key === undefined ? KEY : opts.key;
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      });
      const text = await res.text();
      return {
        status: res.status,
        type: res.headers.get('content-type') ?? '',
        body: text ? JSON.parse(text) : null,
      };
    };

    it("lists a hook's deliveries filtered and by cursor, shows one with payload and attempts", async () => {
      const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
      const logged = [
        await logDelivery(id),
        await logDelivery(id, { resourceType: 'project', eventType: 'project.updated' }),
        await logDelivery(id, {}, 'delivered'),
      ];

      const page1 = await call('GET', `/v1/webhooks/${id}/deliveries?status=failed&limit=1`);
      expect(page1.status).toBe(200);
      expect(page1.body.data).toHaveLength(1);
      expect(page1.body.data[0]).toMatchObject({
        id: logged[1].deliveryId,
        status: 'failed',
        resourceName: 'project',
        attemptCount: 1,
      });
      const page2 = await call(
        'GET',
        `/v1/webhooks/${id}/deliveries?status=failed&limit=1&cursor=${page1.body.nextCursor}`,
      );
      expect(page2.body.data.map((d: { id: string }) => d.id)).toEqual([logged[0].deliveryId]);
      expect(page2.body.nextCursor).toBeNull();
      const tasks = await call(
        'GET',
        `/v1/webhooks/${id}/deliveries?resourceName=task&eventType=task.updated&status=delivered,failed`,
      );
      expect(tasks.body.data.map((d: { id: string }) => d.id)).toEqual([
        logged[2].deliveryId,
        logged[0].deliveryId,
      ]);
      const window = await call(
        'GET',
        `/v1/webhooks/${id}/deliveries?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
      );
      expect(window.body.data).toEqual([]);

      const one = await call('GET', `/v1/deliveries/${logged[2].deliveryId}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({
        id: logged[2].deliveryId,
        status: 'delivered',
        body: logged[2].body,
        payload: JSON.parse(logged[2].body!),
      });
      expect(
        one.body.attempts.map((a: { attempt: number; httpStatus: number }) => [
          a.attempt,
          a.httpStatus,
        ]),
      ).toEqual([
        [1, 500],
        [2, 200],
      ]);
    });

    it('takes every cursor of the documented shape as a position and nothing else; a window ending before it starts is an empty page, a replay since a time to come an empty job (fuzz:api)', async () => {
      const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
      const logged = [await logDelivery(id), await logDelivery(id)];
      const newestFirst = [logged[1].deliveryId, logged[0].deliveryId];
      const page1 = await call('GET', `/v1/webhooks/${id}/deliveries?limit=1`);
      expect(page1.body.nextCursor).toMatch(DELIVERY_CURSOR_PATTERN);
      const page2 = await call('GET', `/v1/webhooks/${id}/deliveries?limit=1&cursor=${page1.body.nextCursor}`);
      expect([...page1.body.data, ...page2.body.data].map((d: { id: string }) => d.id)).toEqual(newestFirst);
      // Any position of that shape is a page: the year 2286 is before every row (newest first), the epoch after all.
      const fromTheTop = await call('GET', `/v1/webhooks/${id}/deliveries?cursor=9999999999999999_FFFFFFFF-ffff-ffff-ffff-ffffffffffff`);
      expect([fromTheTop.status, fromTheTop.body.data.map((d: { id: string }) => d.id)]).toEqual([200, newestFirst]);
      const pastTheEnd = await call('GET', `/v1/webhooks/${id}/deliveries?cursor=0_00000000-0000-0000-0000-000000000000`);
      expect([pastTheEnd.status, pastTheEnd.body.data]).toEqual([200, []]);
      // What the former cursor's decoder let through to PostgreSQL as a time ("1", 31 February), and other shapes: a 400 naming cursor.
      for (const cursor of [
        Buffer.from(`1|${logged[0].deliveryId}`).toString('base64url'),
        Buffer.from(`2026-02-31T00:00:00.000000Z|${logged[0].deliveryId}`).toString('base64url'),
        `1.5_${logged[0].deliveryId}`,
        '0',
      ]) {
        const r = await call('GET', `/v1/webhooks/${id}/deliveries?cursor=${encodeURIComponent(cursor)}`);
        expect({ cursor, status: r.status, paths: r.body.errors?.map((e: { path: string }) => e.path) }).toEqual({ cursor, status: 400, paths: ['cursor'] });
      }
      const now = encodeURIComponent(new Date().toISOString());
      const empty = await call('GET', `/v1/webhooks/${id}/deliveries?from=${now}&to=${now}`);
      expect([empty.status, empty.body.data]).toEqual([200, []]);
      // Times an offset pushes past what PostgreSQL's timestamptz takes are its bounds, never a 500.
      const wide = await call('GET', `/v1/webhooks/${id}/deliveries?from=${encodeURIComponent('0001-01-01T00:00:00+23:59')}&to=${encodeURIComponent('9999-12-31T23:59:59-23:59')}`);
      expect([wide.status, wide.body.data.map((d: { id: string }) => d.id)]).toEqual([200, newestFirst]);
      for (const q of ['status=failed,%20delivered', 'status=', 'eventType=task.updated,', 'resourceId=a%00b', 'eventType=a%20b']) {
        expect([q, (await call('GET', `/v1/webhooks/${id}/deliveries?${q}`)).status]).toEqual([q, 400]);
      }
      // A replay since a time still to come covers an empty window: a job that re-sends nothing.
      const future = await call('POST', `/v1/webhooks/${id}/replay`, { body: { since: new Date(Date.now() + 3_600_000).toISOString() } });
      expect([future.status, future.body.kind]).toEqual([202, 'replay']);
    });

    it('answers problem+json: 401 without a key, 400 for unknown or bad parameters, 404 across tenants', async () => {
      const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
      const d = await logDelivery(id);
      const anonymous = await call('GET', `/v1/webhooks/${id}/deliveries`, { key: null });
      expect([anonymous.status, anonymous.type]).toEqual([
        401,
        expect.stringContaining('application/problem+json'),
      ]);
      const unknown = await call('GET', `/v1/webhooks/${id}/deliveries?colour=red`);
      expect(unknown.status).toBe(400);
      expect(unknown.type).toContain('application/problem+json');
      expect(unknown.body).toMatchObject({
        status: 400,
        instance: `/v1/webhooks/${id}/deliveries?colour=red`,
      });
      expect(unknown.body.errors.length).toBeGreaterThan(0);
      expect((await call('GET', `/v1/webhooks/${id}/deliveries?status=lost`)).status).toBe(400);
      expect((await call('GET', `/v1/webhooks/${id}/deliveries?limit=1001`)).status).toBe(400);
      expect((await call('GET', `/v1/webhooks/${id}/deliveries?cursor=garbage`)).status).toBe(400);
      expect(
        (await call('POST', `/v1/webhooks/${id}/replay`, { body: { since: 'yesterday' } })).status,
      ).toBe(400);
      expect(
        (
          await call('POST', `/v1/webhooks/${id}/replay`, {
            body: { since: new Date().toISOString(), extra: 1 },
          })
        ).status,
      ).toBe(400);
      const foreign = await call('GET', `/v1/webhooks/${id}/deliveries`, { key: OTHER_KEY });
      expect([foreign.status, foreign.body.type]).toEqual([
        404,
        'https://herald.dev/problems/not-found',
      ]);
      expect((await call('GET', `/v1/deliveries/${d.deliveryId}`, { key: OTHER_KEY })).status).toBe(
        404,
      );
      expect(
        (await call('POST', `/v1/deliveries/${d.deliveryId}/redeliver`, { key: OTHER_KEY })).status,
      ).toBe(404);
      expect(
        (await call('POST', `/v1/webhooks/${id}/dlq/redrive`, { key: OTHER_KEY })).status,
      ).toBe(404);
    });

    it('refuses hostile input on the job and stats routes with a 4xx problem, never a 500', async () => {
      const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
      const nul = encodeURIComponent('a\u0000b');
      for (const path of [
        `/v1/webhooks/${nul}/jobs`,
        `/v1/webhooks/${nul}/jobs/${randomUUID()}`,
        `/v1/webhooks/${id}/jobs/${nul}`,
        `/v1/webhooks/${nul}/stats`,
        `/v1/webhooks/${'x'.repeat(5_000)}/jobs`,
      ]) {
        const r = await call('GET', path);
        expect([path, r.status, r.type]).toEqual([path, 404, expect.stringContaining('application/problem+json')]);
      }
      for (const query of ['hours=1e400', 'hours=99999999999999999999', 'hours=-1', 'bucketMinutes=7', 'bucketMinutes=%00', 'extra=1']) {
        const r = await call('GET', `/v1/webhooks/${id}/stats?${query}`);
        expect([query, r.status]).toEqual([query, 400]);
        expect(r.body.errors.length).toBeGreaterThan(0);
      }
      expect((await call('GET', `/v1/webhooks/${id}/jobs?limit=1e400`)).status).toBe(400);
      expect((await call('POST', `/v1/webhooks/${id}/replay`, { body: { since: 'a\u0000b' } })).status).toBe(400);
      expect((await call('POST', `/v1/webhooks/${id}/replay`, { body: { since: '+275760-09-13T00:00:00.000Z' } })).status).toBe(400);
      expect((await call('POST', `/v1/webhooks/${id}/dlq/redrive`, { body: { x: 'y' } })).status).toBe(400);
    });

    it('redeliver, replay and redrive answer 202 with what they sent; 409 for a disabled hook', async () => {
      const id = await createHook({ unsubscribeOn: [], autoDisableAfter: null });
      const since = new Date(Date.now() - 1_000).toISOString();
      const d = await logDelivery(id);
      const re = await call('POST', `/v1/deliveries/${d.deliveryId}/redeliver`);
      expect(re.status).toBe(202);
      expect(re.body).toMatchObject({
        eventId: d.eventId,
        subscriptionId: id,
        origin: 'redeliver',
        status: 'queued',
      });
      await waitFor(() => delivered.some((m) => m.value.deliveryId === re.body.id), {
        timeoutMs: 30_000,
      });
      const replay = await call('POST', `/v1/webhooks/${id}/replay`, { body: { since } });
      expect(replay.status).toBe(202);
      expect(replay.body).toMatchObject({ subscriptionId: id, kind: 'replay', state: 'queued', since });
      expect(replay.body.href).toBe(`/v1/webhooks/${id}/jobs/${replay.body.id}`);
      // The job is the hook's one unfinished job until it ends: a redrive now is a 409 naming it.
      const busy = await call('POST', `/v1/webhooks/${id}/dlq/redrive`);
      if (busy.status === 409) expect(busy.body.activeJob).toEqual({ id: replay.body.id, href: replay.body.href });
      const replayed = await waitFor(async () => {
        const j = await call('GET', replay.body.href);
        return j.body.state === 'succeeded' && j.body;
      });
      expect(replayed).toMatchObject({ counts: { produced: 1, scanned: 1, skipped: 0, total: null }, progress: 1, error: null });
      const redrive = await waitFor(async () => {
        const r = await call('POST', `/v1/webhooks/${id}/dlq/redrive`);
        return r.status === 202 && r;
      });
      expect(redrive.body).toMatchObject({ subscriptionId: id, kind: 'redrive', state: 'queued', since: null });
      await waitFor(async () => (await call('GET', redrive.body.href)).body.state === 'succeeded');
      const list = await call('GET', `/v1/webhooks/${id}/jobs`);
      expect(list.body.data.map((j: { id: string }) => j.id)).toEqual([redrive.body.id, replay.body.id]);
      expect((await call('GET', `/v1/webhooks/${id}/jobs/${randomUUID()}`)).status).toBe(404);
      expect((await call('GET', `/v1/webhooks/${id}/jobs/${replay.body.id}`, { key: OTHER_KEY })).status).toBe(404);
      await moduleRef.get(DisableSubscription).execute({ tenantId: TENANT, subscription: { id } });
      const refused = await call('POST', `/v1/deliveries/${d.deliveryId}/redeliver`);
      expect([refused.status, refused.body.type]).toEqual([
        409,
        'https://herald.dev/problems/conflict',
      ]);
    });
  });
});
