import { randomBytes, randomUUID } from 'node:crypto';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Consumer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { Headers, Topics, resourceChangeKey, type ResourceChange } from '@herald/contracts';
import { HeraldProducer, KafkaClient, TopicAdmin } from '@herald/platform/kafka';
import { MetricsRegistry } from '@herald/platform/observability';
import { deleteKafkaNamespace, kafkaBrokers, uniqueKafkaNamespace, waitFor, type TestDatabase } from '@herald/platform/testing';
import {
  KafkaOutboxPublisher,
  LogicalReplicationRelay,
  MAX_EVENT_BYTES,
  OutboxEventTooLargeError,
  OutboxWriter,
  PollingRelay,
  dropOutboxReplicationSlot,
  type NewResourceChange,
  type OutboxPublisher,
  type OutboxRelayBase,
  type OutboxRow,
  type RelayKind,
} from './index';
import { createOutboxDatabase } from './testing';

// Both relays pass the same suite, against the real Postgres (logical replication) and Kafka.

/** waitFor with the message first, and a longer default (relays retry with backoff). */
function until<T>(message: string, fn: () => T | Promise<T>, timeoutMs = 30_000) {
  return waitFor(fn, { message, timeoutMs });
}

interface Received {
  key: string;
  value: ResourceChange;
  raw: string;
  headers: Record<string, string>;
}

let db: TestDatabase;
let ds: DataSource;
const writer = new OutboxWriter();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(async () => {
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  ({ db, ds } = await createOutboxDatabase('outbox-relays'));
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
  propagation.disable();
  context.disable();
});

function change(resourceId: string, n: number, extra: Partial<NewResourceChange> = {}): NewResourceChange {
  return {
    tenantId: 'tenant-1',
    projectId: 'project-1',
    resourceType: 'task',
    resourceId,
    action: 'updated',
    initiator: { userId: 'user-1', fullName: 'Ann Smith', logonAccount: 'ann@example.com' },
    before: { name: `task ${resourceId}`, n: n - 1 },
    after: { name: `task ${resourceId}`, n, tags: ['a', { deep: [n] }] },
    changedFields: ['n'],
    ...extra,
  };
}

/** Commits each group of changes in one transaction, in order; returns the events as written. */
async function commit(...groups: NewResourceChange[][]): Promise<ResourceChange[]> {
  const out: ResourceChange[] = [];
  for (const group of groups) {
    out.push(
      ...(await ds.transaction(async (m) => {
        const events: ResourceChange[] = [];
        for (const c of group) events.push(await writer.append(m, c));
        return events;
      })),
    );
  }
  return out;
}

/** Like commit, one row per transaction, sequentially (commit order = array order). */
async function commitEach(changes: NewResourceChange[]): Promise<ResourceChange[]> {
  const out: ResourceChange[] = [];
  for (const c of changes) out.push(await ds.transaction((m) => writer.append(m, c)));
  return out;
}

async function outboxRows(): Promise<number> {
  const r = await ds.query<{ n: string }[]>('SELECT count(*) AS n FROM domain.outbox');
  return Number(r[0].n);
}

function publishedCount(metrics: MetricsRegistry): Promise<number> {
  return metrics.registry
    .getSingleMetric('herald_outbox_published_total')!
    .get()
    .then((m) => m.values.reduce((s, v) => s + v.value, 0));
}

/** One test's Kafka namespace, slot, relays and reading consumer. */
class Harness {
  readonly received: Received[] = [];
  readonly relays: OutboxRelayBase[] = [];
  readonly slot = `t_outbox_${randomBytes(5).toString('hex')}`;
  readonly appName = `outbox-test-${randomBytes(4).toString('hex')}`;
  readonly client: KafkaClient;
  readonly producer: HeraldProducer;
  readonly topicAdmin: TopicAdmin;
  private consumer?: Consumer;

  constructor(
    readonly kind: RelayKind,
    readonly namespace: string,
  ) {
    this.client = new KafkaClient({ clientId: 'outbox-test', brokers: kafkaBrokers(), namespace, partitionsOverride: 2 });
    this.producer = new HeraldProducer(this.client);
    this.topicAdmin = new TopicAdmin(this.client);
  }

  static async create(kind: RelayKind, opts: { topics?: boolean } = {}): Promise<Harness> {
    const h = new Harness(kind, uniqueKafkaNamespace(`outbox-${kind}`));
    if (opts.topics !== false) await h.startConsumer();
    return h;
  }

  async startConsumer(): Promise<void> {
    await this.topicAdmin.ensureTopics([Topics.ResourceChanges, Topics.ResourceChangesDlq]);
    // Short fetch waits: disconnect() waits for the fetch in flight.
    const consumer = this.client.kafka.consumer({ groupId: this.client.group(`reader-${randomUUID()}`), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: this.client.topic(Topics.ResourceChanges), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const raw = message.value!.toString();
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        this.received.push({ key: message.key!.toString(), value: JSON.parse(raw) as ResourceChange, raw, headers });
      },
    });
    this.consumer = consumer;
  }

  publisher(): KafkaOutboxPublisher {
    return new KafkaOutboxPublisher(this.producer, this.topicAdmin, { producerName: 'outbox-test' });
  }

  relay(opts: { publisher?: OutboxPublisher; metrics?: MetricsRegistry; batchSize?: number } = {}): OutboxRelayBase {
    const common = {
      databaseUrl: db.url,
      publisher: opts.publisher ?? this.publisher(),
      metrics: opts.metrics ?? new MetricsRegistry('outbox-test'),
      batchSize: opts.batchSize ?? 20,
      maxBatchWaitMs: 5,
      standbyRetryMs: 300,
      backoffInitialMs: 100,
      backoffMaxMs: 1_000,
      applicationName: this.appName,
      logger: { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined },
    };
    const relay =
      this.kind === 'logical'
        ? new LogicalReplicationRelay({ ...common, slotName: this.slot })
        : new PollingRelay({ ...common, safetyPollMs: 1_000 });
    this.relays.push(relay);
    relay.start();
    return relay;
  }

  ids(): Set<string> {
    return new Set(this.received.map((r) => r.value.eventId));
  }

  async allReceived(events: ResourceChange[], timeoutMs = 30_000): Promise<void> {
    await until(`${events.length} events on the topic`, () => {
      const ids = this.ids();
      return events.every((e) => ids.has(e.eventId));
    }, timeoutMs);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.relays.map((r) => r.kill()));
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer.onApplicationShutdown();
    await this.client.onApplicationShutdown();
    if (this.kind === 'logical') await dropOutboxReplicationSlot(db.url, this.slot);
    await ds.query('DELETE FROM domain.outbox');
    await deleteKafkaNamespace(this.namespace).catch(() => undefined);
  }
}

/** Per key, the eventIds in the order they first appeared on the topic. */
function firstSeenOrderByKey(received: Received[]): Map<string, string[]> {
  const seen = new Set<string>();
  const byKey = new Map<string, string[]>();
  for (const r of received) {
    if (seen.has(r.value.eventId)) continue;
    seen.add(r.value.eventId);
    byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.value.eventId]);
  }
  return byKey;
}

function commitOrderByKey(events: ResourceChange[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const e of events) byKey.set(resourceChangeKey(e), [...(byKey.get(resourceChangeKey(e)) ?? []), e.eventId]);
  return byKey;
}

/** Every copy of an event on the topic is the same message: same key, same value. */
function expectDuplicatesIdentical(received: Received[]): void {
  const first = new Map<string, Received>();
  for (const r of received) {
    const f = first.get(r.value.eventId);
    if (!f) first.set(r.value.eventId, r);
    else {
      expect(r.key).toBe(f.key);
      expect(r.value).toEqual(f.value);
    }
  }
}

describe.each<RelayKind>(['logical', 'polling'])('%s outbox relay', (kind) => {
  let h: Harness;

  afterEach(async () => {
    await h?.cleanup();
  });

  it('publishes committed rows in commit order per key with the exact payload and trace context; never a rolled-back row; empties the table', async () => {
    h = await Harness.create(kind);
    const relay = h.relay();
    await until('the relay to be active', () => relay.status === 'active');

    const spanContext = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED };
    const traced = await context.with(trace.setSpanContext(context.active(), spanContext), () =>
      commitEach([change('r-traced', 1)]),
    );
    const single = await commitEach(Array.from({ length: 24 }, (_, i) => change(`r${i % 3}`, i)));
    const multi = await commit([change('r0', 100), change('r1', 100), change('r0', 101)]);
    const rolledBackId = randomUUID();
    await expect(
      ds.transaction(async (m) => {
        await writer.append(m, change('r0', 999, { eventId: rolledBackId }));
        throw new Error('the use case failed');
      }),
    ).rejects.toThrow('the use case failed');
    const last = await commitEach([change('r0', 1000), change('r2', 1000)]);
    const written = [...traced, ...single, ...multi, ...last];

    await h.allReceived(written);
    await until('the outbox to be empty', async () => (await outboxRows()) === 0);

    expect(h.ids().has(rolledBackId)).toBe(false);
    expect(h.received).toHaveLength(written.length); // no duplicates when nothing fails
    expect(firstSeenOrderByKey(h.received)).toEqual(commitOrderByKey(written));
    for (const e of written) {
      const got = h.received.find((r) => r.value.eventId === e.eventId)!;
      expect(got.value).toEqual(e);
      expect(got.key).toBe(`tenant-1:task:${e.resourceId}`);
      expect(got.headers[Headers.Schema]).toBe('resource-change/1');
      expect(got.headers[Headers.Producer]).toBe('outbox-test');
    }
    const tracedMsg = h.received.find((r) => r.value.eventId === traced[0].eventId)!;
    const traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-01`;
    expect(tracedMsg.headers[Headers.TraceParent]).toBe(traceparent);
    expect(tracedMsg.value.traceparent).toBe(traceparent);
    expect(h.received.find((r) => r.value.eventId === single[0].eventId)!.headers[Headers.TraceParent]).toBeUndefined();
  });

  it('keeps up with concurrent writers and leaves the table empty', async () => {
    h = await Harness.create(kind);
    const relay = h.relay({ batchSize: 50 });
    await until('the relay to be active', () => relay.status === 'active');
    const written: ResourceChange[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 400) {
          const i = next++;
          written.push(await ds.transaction((m) => writer.append(m, change(`c${i % 40}`, i))));
        }
      }),
    );
    await h.allReceived(written);
    await until('the outbox to be empty', async () => (await outboxRows()) === 0, 20_000);
    expectDuplicatesIdentical(h.received);
    // Rows of one key are written by different writers here, so only completeness is checked.
    expect(h.ids().size).toBe(written.length);
  });

  it('does not skip a row whose transaction opened earlier and committed after a later one', async () => {
    h = await Harness.create(kind);
    const relay = h.relay();
    await until('the relay to be active', () => relay.status === 'active');

    const slow = ds.createQueryRunner();
    await slow.connect();
    await slow.startTransaction();
    const late = await writer.append(slow.manager, change('r-late', 1));
    const early = await commitEach([change('r-early', 1), change('r-early', 2)]);
    await h.allReceived(early);
    await slow.commitTransaction();
    await slow.release();
    await h.allReceived([late]);

    const order = h.received.map((r) => r.value.eventId);
    expect(order.indexOf(late.eventId)).toBeGreaterThan(order.indexOf(early[1].eventId));
    await until('the outbox to be empty', async () => (await outboxRows()) === 0);
  });

  it('killed between publish and confirm: after a restart no event is lost and duplicates carry the same eventId', async () => {
    h = await Harness.create(kind);
    const real = h.publisher();
    let calls = 0;
    let crashed = false;
    const ref: { doomed?: OutboxRelayBase } = {};
    // The second batch reaches Kafka, then the process "dies" before deleting or confirming it.
    const crashing: OutboxPublisher = {
      prepare: () => real.prepare(),
      publish: async (rows: readonly OutboxRow[]) => {
        calls += 1;
        await real.publish(rows);
        if (calls === 2) {
          crashed = true;
          void ref.doomed!.kill();
          throw new Error('crash between publish and confirm');
        }
      },
    };
    const doomed = h.relay({ publisher: crashing, batchSize: 10 });
    ref.doomed = doomed;
    await until('the relay to be active', () => doomed.status === 'active');

    const written = await commit(
      ...Array.from({ length: 4 }, (_, t) => Array.from({ length: 10 }, (_, i) => change(`r${i % 4}`, t * 10 + i))),
    );
    await until('the crash', () => crashed && doomed.status === 'stopped');
    expect(await outboxRows()).toBeGreaterThan(0); // the crashed batch was never deleted

    const survivor = h.relay({ batchSize: 10 });
    await h.allReceived(written);
    await until('the outbox to be empty', async () => (await outboxRows()) === 0);
    expect(survivor.status).toBe('active');

    expect(h.received.length).toBeGreaterThan(written.length); // the unconfirmed batch came again
    expectDuplicatesIdentical(h.received);
    expect(firstSeenOrderByKey(h.received)).toEqual(commitOrderByKey(written));
    const ids = h.ids();
    expect(written.every((e) => ids.has(e.eventId))).toBe(true);
    expect(ids.size).toBe(written.length);
  });

  it('runs one active instance per database; a standby takes over when the active one dies', async () => {
    h = await Harness.create(kind);
    const m1 = new MetricsRegistry('outbox-a');
    const m2 = new MetricsRegistry('outbox-b');
    const first = h.relay({ metrics: m1 });
    await until('the first relay to be active', () => first.status === 'active');
    const second = h.relay({ metrics: m2 });
    await until('the second relay to stand by', () => second.status === 'standby');

    const batch1 = await commitEach(Array.from({ length: 20 }, (_, i) => change(`r${i % 2}`, i)));
    await h.allReceived(batch1);
    await until('the first relay to count what it published', async () => (await publishedCount(m1)) === 20);
    expect(await publishedCount(m2)).toBe(0);
    expect(second.status).toBe('standby');

    await first.kill();
    await until('the standby to take over', () => second.status === 'active', 20_000);
    const batch2 = await commitEach(Array.from({ length: 10 }, (_, i) => change(`r${i % 2}`, 100 + i)));
    await h.allReceived([...batch1, ...batch2]);
    await until('the second relay to count what it published', async () => (await publishedCount(m2)) >= 10);
    expectDuplicatesIdentical(h.received);
    expect(firstSeenOrderByKey(h.received)).toEqual(commitOrderByKey([...batch1, ...batch2]));
  });

  it('survives losing its Postgres connections: reconnects with backoff and resumes without loss', async () => {
    h = await Harness.create(kind);
    const relay = h.relay();
    await until('the relay to be active', () => relay.status === 'active');
    const part1 = await commitEach(Array.from({ length: 10 }, (_, i) => change(`r${i % 3}`, i)));

    const killed = await ds.query<{ pid: number }[]>(
      `SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity WHERE application_name = $1`,
      [h.appName],
    );
    expect(killed.length).toBeGreaterThanOrEqual(2); // its lock/control connection and its stream or work connection
    const part2 = await commitEach(Array.from({ length: 10 }, (_, i) => change(`r${i % 3}`, 100 + i)));

    await h.allReceived([...part1, ...part2]);
    await until('the relay to be active again', () => relay.status === 'active');
    expectDuplicatesIdentical(h.received);
    expect(firstSeenOrderByKey(h.received)).toEqual(commitOrderByKey([...part1, ...part2]));
    await until('the outbox to be empty', async () => (await outboxRows()) === 0);
  });

  it('when Kafka refuses the produce: readiness down, rows kept, everything published once Kafka accepts again', async () => {
    h = await Harness.create(kind, { topics: false });
    // No topic admin: the publisher cannot create the (namespaced) topic, so every produce fails.
    const noTopics = new KafkaOutboxPublisher(h.producer, undefined, { producerName: 'outbox-test' });
    const relay = h.relay({ publisher: noTopics });
    const written = await commitEach(Array.from({ length: 5 }, (_, i) => change(`r${i % 2}`, i)));

    await until('the relay to report an outage', () => relay.status === 'outage', 60_000);
    await expect(relay.readinessCheck().check()).rejects.toThrow(/outbox relay/);
    expect(await outboxRows()).toBe(written.length);

    await h.startConsumer(); // creates the topics
    await h.allReceived(written, 60_000);
    await until('the relay to recover', () => relay.status === 'active');
    await expect(relay.readinessCheck().check()).resolves.toBeUndefined();
    expect(firstSeenOrderByKey(h.received)).toEqual(commitOrderByKey(written));
    await until('the outbox to be empty', async () => (await outboxRows()) === 0);
  }, 150_000);
});

describe('OutboxWriter', () => {
  it('writes only inside a transaction, validates, and refuses an event too large for Kafka', async () => {
    await expect(writer.append(ds.manager, change('w1', 1))).rejects.toThrow(/open transaction/);
    await expect(
      ds.transaction((m) => writer.append(m, { ...change('w1', 1), action: 'completed', resourceType: 'project' })),
    ).rejects.toThrow(/project has no action completed/);
    await expect(
      ds.transaction((m) => writer.append(m, change('w1', 1, { after: { text: 'x'.repeat(MAX_EVENT_BYTES) } }))),
    ).rejects.toBeInstanceOf(OutboxEventTooLargeError);
    expect(await outboxRows()).toBe(0);

    const [event] = await commitEach([change('w1', 1, { eventId: '6f1c1a52-3e55-4a39-9d3c-2d1f0c1f7e10' })]);
    const rows = await ds.query<{ id: string; aggregate_key: string; payload: ResourceChange; headers: object }[]>(
      'SELECT id, aggregate_key, payload, headers FROM domain.outbox',
    );
    expect(rows).toEqual([{ id: event.eventId, aggregate_key: 'tenant-1:task:w1', payload: event, headers: {} }]);
    expect(event.eventId).toBe('6f1c1a52-3e55-4a39-9d3c-2d1f0c1f7e10');
    expect(Date.parse(event.occurredAt)).toBeGreaterThan(Date.now() - 60_000);
    await ds.query('DELETE FROM domain.outbox');
  });
});

describe('logical relay only', () => {
  it('confirms its slot past WAL that holds no outbox rows, so an idle outbox retains no WAL', async () => {
    const h = await Harness.create('logical', { topics: false });
    try {
      const relay = h.relay();
      await until('the relay to be active', () => relay.status === 'active');
      await ds.query('CREATE TABLE IF NOT EXISTS domain.unrelated (id serial PRIMARY KEY, v text)');
      for (let i = 0; i < 20; i++) await ds.query(`INSERT INTO domain.unrelated (v) VALUES ('x')`);
      const [{ lsn }] = await ds.query<{ lsn: string }[]>('SELECT pg_current_wal_lsn()::text AS lsn');
      await until(
        'the slot to be confirmed past the unrelated writes',
        async () =>
          (
            await ds.query<{ ok: boolean }[]>(
              'SELECT confirmed_flush_lsn >= $1::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = $2',
              [lsn, h.slot],
            )
          )[0]?.ok,
        45_000,
      );
    } finally {
      await h.cleanup();
    }
  });

  it('publishes the rows that predate its slot (from its exported snapshot), then streams', async () => {
    const h = await Harness.create('logical');
    try {
      const before = await commitEach(Array.from({ length: 15 }, (_, i) => change(`r${i % 3}`, i)));
      const relay = h.relay({ batchSize: 4 });
      await until('the relay to be active', () => relay.status === 'active');
      const after = await commitEach(Array.from({ length: 5 }, (_, i) => change(`r${i % 3}`, 100 + i)));
      await h.allReceived([...before, ...after]);
      await until('the outbox to be empty', async () => (await outboxRows()) === 0);
      expect(h.received).toHaveLength(20);
      expect(firstSeenOrderByKey(h.received)).toEqual(commitOrderByKey([...before, ...after]));
    } finally {
      await h.cleanup();
    }
  });
});
