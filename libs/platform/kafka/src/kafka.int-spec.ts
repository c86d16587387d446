import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  ConsumerGroups,
  Headers,
  PrincipalSnapshotContract,
  ResourceChangeContract,
  Topics,
  type PrincipalSnapshot,
  type ResourceChange,
} from '@herald/contracts';
import { HeraldConfigModule, KafkaEnv } from '@herald/platform/config';
import { ObservabilityModule, ReadinessRegistry } from '@herald/platform/observability';
import { deleteKafkaNamespace, kafkaBrokers, uniqueKafkaNamespace, waitFor } from '@herald/platform/testing';
import {
  CompactedTopicView,
  ConsumerDeps,
  ContractConsumer,
  HeraldProducer,
  KafkaClient,
  KafkaModule,
  TopicAdmin,
  type ConsumedMessage,
} from './index';

const change = (resourceId: string): ResourceChange => ({
  eventId: randomUUID(),
  tenantId: 't1',
  projectId: 'p1',
  resourceType: 'task',
  resourceId,
  action: 'created',
  occurredAt: new Date().toISOString(),
  initiator: { userId: 'u1', fullName: 'Anna Doe', logonAccount: 'anna@example.com' },
  before: null,
  after: { name: resourceId },
  changedFields: [],
});

@Injectable()
class RecordingConsumer extends ContractConsumer<ResourceChange> {
  protected readonly contract = ResourceChangeContract;
  protected readonly topics = [Topics.ResourceChanges];
  protected readonly groupId = ConsumerGroups.EventRouter;
  protected override readonly fromBeginning = true;
  readonly handled: string[] = [];
  failuresLeft = new Map<string, number>();

  constructor(deps: ConsumerDeps) {
    super(deps);
  }

  protected override async handle(value: ResourceChange | null, _ctx: ConsumedMessage): Promise<void> {
    const id = value!.resourceId;
    const left = this.failuresLeft.get(id) ?? 0;
    if (left > 0) {
      this.failuresLeft.set(id, left - 1);
      throw new Error(`simulated failure for ${id}`);
    }
    this.handled.push(id);
  }
}

describe('Kafka platform lib against the real broker', () => {
  const namespace = uniqueKafkaNamespace('kafkalib');
  let app: INestApplicationContext;

  async function boot(extraProviders: unknown[] = []): Promise<INestApplicationContext> {
    @Module({
      imports: [
        HeraldConfigModule.forRoot('kafka-lib-test', KafkaEnv, {
          KAFKA_BROKERS: process.env['KAFKA_BROKERS'],
          HERALD_KAFKA_NAMESPACE: namespace,
          HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
        }),
        ObservabilityModule.forRoot({ service: 'kafka-lib-test', logLevel: 'warn' }),
        KafkaModule.forRoot({ clientId: 'kafka-lib-test' }),
      ],
      providers: extraProviders as never[],
    })
    class TestModule {}
    const moduleRef = await Test.createTestingModule({ imports: [TestModule] }).compile();
    const ctx = moduleRef.createNestApplication({ logger: false });
    await ctx.get(TopicAdmin).ensureTopics([Topics.ResourceChanges, Topics.ResourceChangesDlq, Topics.Principals, Topics.DeliveriesDlq]);
    await ctx.init();
    return ctx;
  }

  afterAll(async () => {
    await app?.close();
    await deleteKafkaNamespace(namespace);
  });

  it('validates, dead-letters the invalid with its reason, retries a failing handler, and commits only what was handled', async () => {
    app = await boot([RecordingConsumer]);
    const consumer = app.get(RecordingConsumer);
    consumer.failuresLeft.set('b', 2);
    const producer = app.get(HeraldProducer);
    const client = app.get(KafkaClient);

    // Same key for all three so they land in one partition, in this order.
    const a = change('a');
    const b = { ...change('b'), tenantId: a.tenantId };
    await producer.send(ResourceChangeContract, Topics.ResourceChanges, [a]);
    await producer.sendRaw(Topics.ResourceChanges, [{ key: 't1:task:a', value: '{"not":"a change"}' }]);
    await producer.send(ResourceChangeContract, Topics.ResourceChanges, [{ ...b, resourceId: 'b' }]);
    // b's key differs from a's; order within one key is what the contract promises.

    await waitFor(() => consumer.handled.includes('a') && consumer.handled.includes('b'), {
      timeoutMs: 30_000,
      message: 'both valid changes handled',
    });
    expect(consumer.handled.filter((x) => x === 'b')).toHaveLength(1);

    // The invalid one is on the DLQ with the reason and where it came from.
    const dlqConsumer = client.kafka.consumer({ groupId: `${namespace}.dlq-reader` });
    const dead: { value: string; headers: Record<string, string> }[] = [];
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: client.topic(Topics.ResourceChangesDlq), fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        dead.push({
          value: message.value!.toString(),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      },
    });
    await waitFor(() => dead.length === 1, { timeoutMs: 30_000, message: 'one dead letter' });
    await dlqConsumer.disconnect();
    expect(dead[0].value).toBe('{"not":"a change"}');
    expect(dead[0].headers[Headers.DlqReason]).toMatch(/resource-change\/1 schema/);
    expect(dead[0].headers[Headers.DlqSourceTopic]).toBe(client.topic(Topics.ResourceChanges));

    // Readiness was down while the handler failed and is up again.
    const readiness = app.get(ReadinessRegistry);
    const check = readiness.all().find((c) => c.name === `consumer:${ConsumerGroups.EventRouter}`)!;
    await waitFor(async () => check.check().then(() => true, () => false), { timeoutMs: 10_000, message: 'consumer ready' });

    // After a clean shutdown, the committed offsets cover all three messages.
    await app.close();
    const admin = client.kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: client.group(ConsumerGroups.EventRouter), topics: [client.topic(Topics.ResourceChanges)] });
    await admin.disconnect();
    const committed = offsets[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(committed).toBe(3);
  });

  it('materialises a compacted topic, honours tombstones and is ready only once caught up', async () => {
    app = await boot();
    const producer = app.get(HeraldProducer);
    const user = (userId: string, fullName: string): PrincipalSnapshot => ({
      kind: 'user',
      tenantId: 't1',
      userId,
      fullName,
      email: `${userId}@example.com`,
      active: true,
      updatedAt: new Date().toISOString(),
    });
    await producer.send(PrincipalSnapshotContract, Topics.Principals, [user('u1', 'One'), user('u2', 'Two'), user('u1', 'One again')]);
    await producer.sendTombstone(Topics.Principals, 't1:user:u2');

    const view = new CompactedTopicView(app.get(ConsumerDeps), PrincipalSnapshotContract, Topics.Principals, 'principals-test');
    const changes: string[] = [];
    view.onChange((key, value) => changes.push(`${key}=${value ? 'set' : 'deleted'}`));
    await view.start();
    await view.caughtUp;
    expect(view.size).toBe(1);
    expect((view.get('t1:user:u1') as { fullName: string }).fullName).toBe('One again');
    expect(view.get('t1:user:u2')).toBeUndefined();
    const readiness = app.get(ReadinessRegistry).all().find((c) => c.name === 'view:principals-test')!;
    await expect(readiness.check()).resolves.toBeUndefined();

    await producer.send(PrincipalSnapshotContract, Topics.Principals, [user('u3', 'Three')]);
    await waitFor(() => view.get('t1:user:u3') !== undefined, { timeoutMs: 20_000, message: 'follows new snapshots' });
    expect(changes).toContain('t1:user:u3=set');
    await view.stop();
  });
});

describe('KafkaClient.admin (real broker)', () => {
  it('callers that ask while it connects share one admin: the shutdown disconnects every connection it opened', async () => {
    // Two were connected, the first one never disconnected: the TrackedConsumer reads two topics'
    // commits at once on its first assignment, and its process kept a socket to the broker open.
    const client = new KafkaClient({ clientId: 'admin-share-test', brokers: kafkaBrokers() });
    const [a, b] = await Promise.all([client.admin(), client.admin()]);
    try {
      expect(a).toBe(b);
      expect(await client.admin()).toBe(a);
    } finally {
      await client.onApplicationShutdown();
      if (a !== b) await a.disconnect();
    }
  });
});
