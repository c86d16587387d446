// Proves the harness against the real infrastructure: a database per test file (with its
// replication slots cleaned up on drop) and a Kafka namespace through the real broker.
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from './database';
import { kafkaBrokers, requireEnv } from './env';
import { deleteKafkaNamespace, uniqueKafkaNamespace } from './kafka';
import { waitFor } from './wait-for';

async function query<T extends object>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('createTestDatabase', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('creates an empty database per call, isolated from the others, and drops it', async () => {
    const a = await createTestDatabase('harness a');
    const b = await createTestDatabase('harness b');
    dbs.push(a, b);
    expect(a.name).toMatch(/^t_harness_a_[a-z0-9]{8}$/);
    expect(a.url).toContain(`/${a.name}`);

    const [{ db }] = await query<{ db: string }>(a.url, 'SELECT current_database() AS db');
    expect(db).toBe(a.name);
    await query(a.url, 'CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
    await query(a.url, "INSERT INTO items VALUES (1, 'one'), (2, 'two')");
    expect(await query(a.url, 'SELECT name FROM items ORDER BY id')).toEqual([{ name: 'one' }, { name: 'two' }]);
    expect(await query(b.url, "SELECT to_regclass('public.items') AS t")).toEqual([{ t: null }]);

    await a.drop();
    await a.drop(); // idempotent
    const left = await query(requireEnv('DATABASE_URL'), 'SELECT datname FROM pg_database WHERE datname = $1', [a.name]);
    expect(left).toEqual([]);
  });

  it('runs with wal_level=logical and drops the replication slots of the database, even an active one', async () => {
    const db = await createTestDatabase('harness slots');
    dbs.push(db);
    expect(await query(db.url, 'SHOW wal_level')).toEqual([{ wal_level: 'logical' }]);
    await query(db.url, "SELECT pg_create_logical_replication_slot('idle_slot', 'pgoutput')");
    await query(db.url, "SELECT pg_create_logical_replication_slot('busy_slot', 'test_decoding')");

    // Keep `busy_slot` active: a replication connection streaming from it.
    const streamer = new Client({ connectionString: db.url, replication: 'database' } as ConstructorParameters<typeof Client>[0]);
    streamer.on('error', () => undefined); // terminated by drop()
    await streamer.connect();
    const streaming = streamer.query('START_REPLICATION SLOT busy_slot LOGICAL 0/0').catch(() => undefined);
    await waitFor(
      async () => (await query<{ active: boolean }>(db.url, "SELECT active FROM pg_replication_slots WHERE slot_name = 'busy_slot'"))[0]?.active,
      { timeoutMs: 10_000, message: 'busy_slot active' },
    );

    await db.drop();
    await streaming;
    const admin = requireEnv('DATABASE_URL');
    expect(await query(admin, 'SELECT slot_name FROM pg_replication_slots WHERE database = $1', [db.name])).toEqual([]);
    expect(await query(admin, 'SELECT datname FROM pg_database WHERE datname = $1', [db.name])).toEqual([]);
  });
});

describe('Kafka namespace', () => {
  const ns = uniqueKafkaNamespace('harness');
  const kafka = new Kafka({ clientId: 'harness-int-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });

  afterAll(async () => {
    await deleteKafkaNamespace(ns).catch(() => undefined);
  });

  it('produces and consumes through the real broker on a namespaced topic, then deletes the namespace', async () => {
    expect(ns).toMatch(/^t-harness-[a-z0-9]{8}$/);
    const topic = `${ns}.probe.v1`;
    const groupId = `${ns}.probe-group`;
    const admin = kafka.admin();
    await admin.connect();
    // No `waitForLeaders`: kafkajs throws on the UNKNOWN_TOPIC_OR_PARTITION a loaded broker answers first;
    // the producer below retries it (this lib cannot use @herald/platform/kafka's createTopicsWithLeaders: kafka's specs use this lib).
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: ['a', 'b', 'c'].map((v, i) => ({ key: 'same-key', value: v, headers: { seq: String(i) } })),
    });
    await producer.disconnect();

    const received: KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message);
      },
    });
    await waitFor(() => received.length >= 3, { timeoutMs: 30_000, message: '3 messages consumed' });
    await consumer.disconnect();
    expect(received.map((m) => m.value?.toString())).toEqual(['a', 'b', 'c']); // one key → one partition, in order
    expect(received.map((m) => m.headers?.['seq']?.toString())).toEqual(['0', '1', '2']);

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)).toBe(3); // -1: nothing committed

    const deleted = await deleteKafkaNamespace(ns);
    expect(deleted.topics).toEqual([topic]);
    expect(deleted.groups).toEqual([groupId]);
    await waitFor(async () => !(await admin.listTopics()).includes(topic), { timeoutMs: 10_000, message: 'topic deleted' });
    await admin.disconnect();
  });

  it('refuses to delete a namespace it did not make', async () => {
    await expect(deleteKafkaNamespace('herald')).rejects.toThrow(/not made by uniqueKafkaNamespace/);
    await expect(deleteKafkaNamespace('')).rejects.toThrow(/not a namespace/);
  });
});
