/**
 * `npm run bench:relay`: throughput and latency of both outbox relays against the running
 * Postgres and Kafka (`.herald/env.json`, or DATABASE_URL / KAFKA_BROKERS). Uses a fresh database
 * and a fresh Kafka namespace, drops both at the end, and stops by itself.
 *
 * For each relay:
 *  (a) drain: 100,000 committed outbox rows waiting, relay started → events/s into Kafka
 *      (counted by the topic's high watermarks, i.e. acknowledged messages);
 *  (b) steady load: transactions that upsert a domain row and append its outbox row at a fixed
 *      rate for a fixed time → events/s and commit → Kafka latency. The topic is created with
 *      `message.timestamp.type=LogAppendTime`, so a message's timestamp is the broker's append
 *      time; latency = append time − the moment COMMIT returned to the writer.
 *
 * Env knobs: BENCH_BACKLOG (100000), BENCH_RATES ("500,1000"), BENCH_SECONDS (20),
 * BENCH_RELAYS ("logical,polling"), HERALD_OUTBOX_BATCH_SIZE (500), HERALD_OUTBOX_BATCH_WAIT_MS (10).
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { Admin, Consumer } from 'kafkajs';
import { Topics, resourceChangeKey, type ResourceChange } from '@herald/contracts';
import { dataSourceOptions, runMigrations } from '@herald/platform/db';
import { HeraldProducer, KafkaClient, TopicAdmin, createTopicsWithLeaders } from '@herald/platform/kafka';
import { MetricsRegistry } from '@herald/platform/observability';
import {
  KafkaOutboxPublisher,
  LogicalReplicationRelay,
  OUTBOX_MIGRATIONS,
  OutboxEntity,
  OutboxWriter,
  PollingRelay,
  dropOutboxReplicationSlot,
  type NewResourceChange,
  type OutboxRelayBase,
  type RelayKind,
} from '@herald/domain/outbox';

const ROOT = join(__dirname, '..', '..');
const BACKLOG = Number(process.env['BENCH_BACKLOG'] ?? 100_000);
const RATES = (process.env['BENCH_RATES'] ?? '500,1000').split(',').map(Number).filter((r) => r > 0);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 20);
const RELAYS = (process.env['BENCH_RELAYS'] ?? 'logical,polling').split(',') as RelayKind[];
const BATCH_SIZE = Number(process.env['HERALD_OUTBOX_BATCH_SIZE'] ?? 500);
const BATCH_WAIT_MS = Number(process.env['HERALD_OUTBOX_BATCH_WAIT_MS'] ?? 10);
const WRITER_POOL = 48;
const HARD_LIMIT_MS = 20 * 60_000;

interface Infra {
  databaseUrl: string;
  brokers: string[];
}

function infra(): Infra {
  let env: Partial<Record<'DATABASE_URL' | 'KAFKA_BROKERS', string>> = {};
  const file = join(ROOT, '.herald', 'env.json');
  if (existsSync(file)) env = JSON.parse(readFileSync(file, 'utf8'));
  const databaseUrl = process.env['DATABASE_URL'] ?? env.DATABASE_URL;
  const brokers = process.env['KAFKA_BROKERS'] ?? env.KAFKA_BROKERS;
  if (!databaseUrl || !brokers) {
    throw new Error('no infra: run `npm run infra:up` (writes .herald/env.json) or set DATABASE_URL and KAFKA_BROKERS');
  }
  return { databaseUrl, brokers: brokers.split(',') };
}

const quietLogger = { log: () => undefined, warn: (m: string) => console.warn(`  relay: ${m}`), error: (m: string) => console.error(`  relay: ${m}`), debug: () => undefined };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A task-like change, about the size of the domain-api's (≈ 900 bytes of JSON). */
function taskChange(i: number, resourceId = `task-${i % 5000}`): NewResourceChange {
  const state = (n: number) => ({
    id: resourceId,
    name: `Prepare the quarterly report ${i}`,
    description: 'Collect the figures from every department and draft the summary for the board.',
    projectId: 'project-42',
    status: n % 2 ? 'in_progress' : 'open',
    progress: n % 100,
    startDate: '2026-11-01',
    dueDate: '2026-12-15',
    assignees: [{ id: 'user-7', name: 'Ann Smith' }],
    external: false,
    updatedAt: new Date(1_790_000_000_000 + n).toISOString(),
  });
  return {
    tenantId: 'tenant-bench',
    projectId: 'project-42',
    resourceType: 'task',
    resourceId,
    action: 'updated',
    initiator: { userId: 'user-7', fullName: 'Ann Smith', logonAccount: 'ann@example.com' },
    before: state(i - 1),
    after: state(i),
    changedFields: ['status', 'progress'],
  };
}

class Bench {
  private readonly admin: Client;
  private readonly dbName = `bench_relay_${randomBytes(4).toString('hex')}`;
  private readonly nsBase = `bench-relay-${randomBytes(4).toString('hex')}`;
  private readonly namespaces: string[] = [];
  private databaseUrl = '';
  private ds?: DataSource;
  private kafkaAdmin?: Admin;
  private readonly slot = `bench_outbox_${randomBytes(4).toString('hex')}`;
  private readonly relays: OutboxRelayBase[] = [];
  private readonly clients: KafkaClient[] = [];
  private readonly producers: HeraldProducer[] = [];

  constructor(private readonly infra: Infra) {
    this.admin = new Client({ connectionString: infra.databaseUrl });
  }

  async setUp(): Promise<void> {
    await this.admin.connect();
    await this.admin.query(`CREATE DATABASE ${this.dbName}`);
    const u = new URL(this.infra.databaseUrl);
    u.pathname = `/${this.dbName}`;
    this.databaseUrl = u.toString();
    const opts = { url: this.databaseUrl, schema: 'domain', entities: [OutboxEntity], migrations: OUTBOX_MIGRATIONS };
    await runMigrations(opts);
    this.ds = new DataSource(dataSourceOptions({ ...opts, migrations: [], poolSize: WRITER_POOL }));
    await this.ds.initialize();
    // A domain-like table: every steady-load transaction writes a row here and its outbox row.
    await this.ds.query(`CREATE TABLE domain.bench_tasks (
      id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, progress int NOT NULL,
      status text NOT NULL, updated_at timestamptz NOT NULL)`);
    const kc = new KafkaClient({ clientId: 'bench-relay-admin', brokers: this.infra.brokers });
    this.clients.push(kc);
    this.kafkaAdmin = await kc.admin();
  }

  private db(): DataSource {
    if (!this.ds) throw new Error('setUp() first');
    return this.ds;
  }

  private kadmin(): Admin {
    if (!this.kafkaAdmin) throw new Error('setUp() first');
    return this.kafkaAdmin;
  }

  /** A namespace whose resource-changes topic stamps messages with the broker's append time. */
  private async namespace(label: string): Promise<{ client: KafkaClient; producer: HeraldProducer; topic: string }> {
    const ns = `${this.nsBase}-${label}`;
    this.namespaces.push(ns);
    const client = new KafkaClient({ clientId: `bench-relay-${label}`, brokers: this.infra.brokers, namespace: ns });
    this.clients.push(client);
    const topic = client.topic(Topics.ResourceChanges);
    await createTopicsWithLeaders(this.kadmin(), [
      {
        topic,
        numPartitions: Topics.ResourceChanges.partitions,
        configEntries: [
          ...Object.entries(Topics.ResourceChanges.configs).map(([name, value]) => ({ name, value })),
          { name: 'message.timestamp.type', value: 'LogAppendTime' },
        ],
      },
      { topic: client.topic(Topics.ResourceChangesDlq), numPartitions: 1 },
    ]);
    const producer = new HeraldProducer(client);
    this.producers.push(producer);
    return { client, producer, topic };
  }

  private relay(kind: RelayKind, producer: HeraldProducer, metrics: MetricsRegistry): OutboxRelayBase {
    const common = {
      databaseUrl: this.databaseUrl,
      publisher: new KafkaOutboxPublisher(producer, new TopicAdmin(this.clients[this.clients.length - 1]), { producerName: 'bench' }),
      metrics,
      logger: quietLogger,
      batchSize: BATCH_SIZE,
      maxBatchWaitMs: BATCH_WAIT_MS,
      applicationName: 'herald-bench-relay',
    };
    const relay = kind === 'logical' ? new LogicalReplicationRelay({ ...common, slotName: this.slot }) : new PollingRelay(common);
    this.relays.push(relay);
    return relay;
  }

  private async acked(topic: string): Promise<number> {
    const offsets = await this.kadmin().fetchTopicOffsets(topic);
    return offsets.reduce((s, o) => s + Number(o.high), 0);
  }

  private async outboxRows(): Promise<number> {
    const r = await this.db().query<{ n: string }[]>('SELECT count(*) AS n FROM domain.outbox');
    return Number(r[0].n);
  }

  /** Inserts `n` committed outbox rows, 2,000 per transaction, as the writer would have. */
  private async fillBacklog(n: number): Promise<number> {
    const started = Date.now();
    const c = new Client({ connectionString: this.databaseUrl });
    await c.connect();
    try {
      for (let i = 0; i < n; i += 2_000) {
        const ids: string[] = [];
        const keys: string[] = [];
        const payloads: string[] = [];
        for (let j = i; j < Math.min(n, i + 2_000); j++) {
          const e: ResourceChange = { ...taskChange(j), eventId: randomUUID(), occurredAt: new Date().toISOString() };
          ids.push(e.eventId);
          keys.push(resourceChangeKey(e));
          payloads.push(JSON.stringify(e));
        }
        await c.query(
          `INSERT INTO domain.outbox (id, aggregate_key, payload)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])`,
          [ids, keys, payloads],
        );
      }
    } finally {
      await c.end();
    }
    return Date.now() - started;
  }

  async drain(kind: RelayKind): Promise<Record<string, number | string>> {
    const { client, producer, topic } = await this.namespace(`${kind}-drain`);
    const metrics = new MetricsRegistry('bench');
    if (kind === 'logical') {
      // The slot exists before the backlog is written: the rows come through the stream (not
      // the new-slot backfill), as after a relay outage.
      const warm = this.relay(kind, producer, metrics);
      warm.start();
      await until('the relay to be active', () => warm.status === 'active', 60_000);
      await warm.stop();
    }
    const leftover = await this.outboxRows();
    if (leftover) console.log(`  (${leftover} rows already in the outbox)`);
    const insertMs = await this.fillBacklog(BACKLOG);
    const relay = this.relay(kind, producer, metrics);
    const t0 = Date.now();
    relay.start();
    await until(`${BACKLOG} events in Kafka`, async () => (await this.acked(topic)) >= BACKLOG, 10 * 60_000, 100);
    const seconds = (Date.now() - t0) / 1000;
    await until('the outbox to be empty', async () => (await this.outboxRows()) === 0, 60_000, 200);
    await relay.stop();
    const published = await this.acked(topic);
    const distinct = await this.distinctEventIds(client, topic, published);
    return {
      relay: kind,
      backlog: BACKLOG,
      insertSeconds: +(insertMs / 1000).toFixed(1),
      drainSeconds: +seconds.toFixed(2),
      eventsPerSecond: Math.round(BACKLOG / seconds),
      messagesOnTopic: published,
      distinctEventIds: distinct,
    };
  }

  /** Reads the whole topic after the run (so it does not compete with the relay) and counts eventIds. */
  private async distinctEventIds(client: KafkaClient, topic: string, expected: number): Promise<number> {
    const ids = new Set<string>();
    let read = 0;
    const consumer = client.kafka.consumer({ groupId: client.group(`bench-verify-${randomUUID()}`), maxBytesPerPartition: 4 << 20, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            read += 1;
            if (m.value) ids.add((JSON.parse(m.value.toString()) as ResourceChange).eventId);
          }
        },
      });
      await until(`${expected} messages read back`, () => read >= expected, 120_000, 100);
    } finally {
      await consumer.disconnect();
    }
    return ids.size;
  }

  async steady(kind: RelayKind, rate: number): Promise<Record<string, number | string>> {
    const { client, producer, topic } = await this.namespace(`${kind}-r${rate}`);
    const metrics = new MetricsRegistry('bench');
    const commitAt = new Map<string, number>();
    const latencies: number[] = [];
    let lastAppend = 0;
    // An event can reach Kafka before its writer saw COMMIT return: matched once it has.
    const pendingUnknown = new Map<string, number>();
    let t0 = Number.POSITIVE_INFINITY;
    const consumer: Consumer = client.kafka.consumer({ groupId: client.group(`bench-${randomUUID()}`), maxBytesPerPartition: 4 << 20, maxWaitTimeInMs: 200 });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Set<string>();
    let duplicates = 0;
    // Rows the previous phase's relay had published but not confirmed when it stopped come
    // again at the start of this phase (same slot): counted apart, not as this phase's events.
    let replayedFromEarlier = 0;
    await consumer.run({
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (!m.value) continue;
          const e = JSON.parse(m.value.toString()) as ResourceChange;
          if (seen.has(e.eventId)) {
            duplicates += 1;
            continue;
          }
          seen.add(e.eventId);
          const appended = Number(m.timestamp);
          const committed = commitAt.get(e.eventId);
          if (committed === undefined) {
            if (appended < t0) replayedFromEarlier += 1;
            else pendingUnknown.set(e.eventId, appended);
            continue;
          }
          lastAppend = Math.max(lastAppend, appended);
          latencies.push(appended - committed);
        }
      },
    });
    await joined;
    const relay = this.relay(kind, producer, metrics);
    relay.start();
    await until('the relay to be active', () => relay.status === 'active', 60_000);

    const writer = new OutboxWriter();
    const ds = this.db();
    const total = rate * SECONDS;
    let issued = 0;
    let committed = 0;
    let failed = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    t0 = Date.now();
    const writes: Promise<void>[] = [];
    // Open-loop load: transaction i starts at t0 + i/rate, whatever the previous ones are doing
    // (bounded by the writer pool; a backlog of starts shows as a lower achieved rate).
    while (issued < total) {
      const due = t0 + (issued * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 1) await sleep(wait);
      if (inFlight >= WRITER_POOL * 2) {
        await sleep(1);
        continue;
      }
      const i = issued++;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      writes.push(
        ds
          .transaction(async (m) => {
            const change = taskChange(i, `task-${i % 2000}`);
            const after = change.after as Record<string, unknown>;
            await m.query(
              `INSERT INTO domain.bench_tasks (id, tenant_id, name, progress, status, updated_at)
               VALUES ($1, $2, $3, $4, $5, now())
               ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, progress = EXCLUDED.progress,
                 status = EXCLUDED.status, updated_at = now()`,
              [change.resourceId, change.tenantId, after['name'], after['progress'], after['status']],
            );
            return writer.append(m, change);
          })
          .then(
            (e) => {
              commitAt.set(e.eventId, Date.now());
              committed += 1;
            },
            () => {
              failed += 1;
            },
          )
          .finally(() => {
            inFlight -= 1;
          }),
      );
    }
    await Promise.all(writes);
    const writeSeconds = (Date.now() - t0) / 1000;
    const own = () => {
      for (const [id, appended] of pendingUnknown) {
        const c = commitAt.get(id);
        if (c === undefined) continue;
        pendingUnknown.delete(id);
        lastAppend = Math.max(lastAppend, appended);
        latencies.push(appended - c);
      }
      return latencies.length;
    };
    await until(`${committed} events consumed`, () => own() >= committed, 120_000, 100);
    replayedFromEarlier += pendingUnknown.size;
    await relay.stop();
    console.log(`  outbox rows after stop: ${await this.outboxRows()}`);
    await consumer.disconnect();
    latencies.sort((a, b) => a - b);
    const spanSeconds = (lastAppend - t0) / 1000;
    return {
      relay: kind,
      targetRate: rate,
      seconds: SECONDS,
      committed,
      failedWrites: failed,
      achievedWriteRate: Math.round(committed / writeSeconds),
      eventsPerSecond: Math.round(latencies.length / spanSeconds),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1] ?? NaN,
      duplicates,
      replayedFromEarlier,
      maxWritesInFlight: maxInFlight,
    };
  }

  async dropSlot(): Promise<void> {
    await dropOutboxReplicationSlot(this.databaseUrl, this.slot).catch((e) => console.warn(`drop slot: ${e}`));
  }

  async tearDown(): Promise<void> {
    await Promise.all(this.relays.map((r) => r.kill().catch(() => undefined)));
    if (this.databaseUrl) await this.dropSlot();
    await this.ds?.destroy().catch(() => undefined);
    await Promise.all(this.producers.map((p) => p.onApplicationShutdown()));
    if (this.kafkaAdmin) {
      const topics = (await this.kafkaAdmin.listTopics()).filter((t) => t.startsWith(`${this.nsBase}-`));
      if (topics.length) await this.kafkaAdmin.deleteTopics({ topics }).catch(() => undefined);
    }
    await Promise.all(this.clients.map((c) => c.onApplicationShutdown()));
    await this.admin.query(`DROP DATABASE IF EXISTS ${this.dbName} WITH (FORCE)`).catch((e) => console.warn(`drop database: ${e}`));
    await this.admin.end().catch(() => undefined);
  }
}

function table(rows: Record<string, number | string>[]): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(cols), line(cols.map(() => '---')), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
}

async function main(): Promise<void> {
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
  const hardStop = setTimeout(() => {
    console.error(`bench:relay: still running after ${HARD_LIMIT_MS / 60_000} min, giving up`);
    process.exit(2);
  }, HARD_LIMIT_MS);
  hardStop.unref();
  const loadBefore = loadavg()[0];
  const bench = new Bench(infra());
  const drains: Record<string, number | string>[] = [];
  const steadies: Record<string, number | string>[] = [];
  try {
    await bench.setUp();
    for (const kind of RELAYS) {
      console.log(`[${kind}] draining a backlog of ${BACKLOG} rows…`);
      const d = await bench.drain(kind);
      console.log(`  ${JSON.stringify(d)}`);
      drains.push(d);
      for (const rate of RATES) {
        console.log(`[${kind}] steady load at ${rate}/s for ${SECONDS} s…`);
        const s = await bench.steady(kind, rate);
        console.log(`  ${JSON.stringify(s)}`);
        steadies.push(s);
      }
      if (kind === 'logical') await bench.dropSlot();
    }
  } finally {
    await bench.tearDown();
  }
  const env = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    batchSize: BATCH_SIZE,
    batchWaitMs: BATCH_WAIT_MS,
    partitions: Topics.ResourceChanges.partitions,
    writerPool: WRITER_POOL,
    // The machine is shared: the 1-minute load average says how much else was running.
    loadAverage1mBefore: +loadBefore.toFixed(2),
    loadAverage1mAfter: +loadavg()[0].toFixed(2),
  };
  const md = [
    '# Outbox relay benchmark (`npm run bench:relay`)',
    '',
    `${env.date}, Node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), shared with the rest of the machine`,
    `(1-minute load average ${env.loadAverage1mBefore} before, ${env.loadAverage1mAfter} after);`,
    `batch size ${env.batchSize}, batch wait ${env.batchWaitMs} ms, ${env.partitions} partitions, acks=all, idempotent producer;`,
    'relay, writers and the measuring consumer in one Node process; Postgres and Kafka native on the same host.',
    '',
    `## Draining a backlog of ${BACKLOG} committed outbox rows`,
    '',
    table(drains),
    '',
    `## Steady load: transactions (domain row upsert + outbox row) at a fixed rate for ${SECONDS} s`,
    '',
    'Latency: broker append time (topic with LogAppendTime) minus the moment COMMIT returned to the writer.',
    '',
    table(steadies),
    '',
  ].join('\n');
  console.log(`\n${md}`);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'relay.json'), JSON.stringify({ env, drain: drains, steady: steadies }, null, 2) + '\n');
  writeFileSync(join(dir, 'relay.md'), md);
  console.log(`wrote bench/results/relay.json and bench/results/relay.md`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
