import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Kafka, logLevel, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  PrincipalSnapshotContract,
  Topics,
  principalKey,
  topicName,
  type ApiKeyScope,
  type PrincipalSnapshot,
  type TopicSpec,
} from '@herald/contracts';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations } from '@herald/platform/db';
import { createTopicsWithLeaders } from '@herald/platform/kafka';
import { createTestDatabase, deleteKafkaNamespace, requireEnv, uniqueKafkaNamespace, type TestDatabase } from '@herald/platform/testing';
import { AppModule } from '../src/app.module';
import { HERALD_CONFIG } from '@herald/platform/config';
import type { RegistryConfig } from '../src/config';
import { configureApp } from '../src/configure-app';
import { registryDataSource } from '../src/database';
import { REGISTRY_TOPICS } from '@herald/registry/principals';
import { tenantPrincipals, type TenantPrincipals } from '@herald/registry/subscriptions/testing';

/**
 * What the registry's integration tests share: a database of their own, a Kafka namespace of
 * their own, the app in-process on a free port, principals published the way the domain-api
 * publishes them, a local receiver, and a reader for the subscriptions topic.
 */

export function infraEnv(): { DATABASE_URL: string; KAFKA_BROKERS: string } {
  // The int project's globalSetup puts them in the environment (bringing infra up if needed).
  return { DATABASE_URL: requireEnv('DATABASE_URL'), KAFKA_BROKERS: requireEnv('KAFKA_BROKERS') };
}

/** A fresh database (the shared harness's) with the registry's migrations applied. */
export async function createRegistryDatabase(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(`registry-${label}`);
  await runMigrations(registryDataSource(db.url));
  return db;
}

/**
 * For the specs that read and write the registry's tables themselves: a database, a pool of two
 * on it, and every registry topic in the fixture's namespace (created before the app starts, so
 * its consumers join at once).
 */
export async function openRegistryTables(kafka: KafkaFixture, label: string): Promise<{ db: TestDatabase; ds: DataSource }> {
  const db = await createRegistryDatabase(label);
  const ds = await registryPool(db);
  await kafka.ensureTopics(REGISTRY_TOPICS);
  return { db, ds };
}

/** A pool of two on the registry's tables. */
export async function registryPool(db: TestDatabase): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions({ ...registryDataSource(db.url), poolSize: 2 }));
  await ds.initialize();
  return ds;
}

/** Stops what such a spec started, in order: the registry, the pool, the Kafka fixture, the database. */
export async function closeRegistryTables(kafka: KafkaFixture, started: { registry?: RunningRegistry; ds?: DataSource; db?: TestDatabase }): Promise<void> {
  await started.registry?.close();
  await started.ds?.destroy();
  await kafka.close();
  await started.db?.drop();
}

/** The registry on its own tables and Kafka namespace, as `registryOnOwnTables` starts it. */
export interface RegistryOnTables {
  readonly namespace: string;
  readonly kafka: KafkaFixture;
  readonly db: TestDatabase;
  /** A pool of two on the registry's tables. */
  readonly ds: DataSource;
  readonly registry: RunningRegistry;
  /** What reached the deliveries DLQ since the start. */
  readonly dlq: KafkaMessage[];
  /** A new pool, for a test that cut the database's sessions. */
  reopenPool(): Promise<void>;
}

/**
 * For a spec of the registry's consumers against its own tables: registers the `beforeAll` that
 * opens them (`openRegistryTables`), collects the DLQ and starts the registry once its consumers
 * joined, and the `afterAll` that stops it all (after `beforeClose`). Its fields are there in tests.
 */
export function registryOnOwnTables(label: string, opts: { beforeClose?: (db: TestDatabase) => Promise<unknown> } = {}): RegistryOnTables {
  const namespace = uniqueKafkaNamespace(`reg-${label}`);
  const kafka = new KafkaFixture(namespace);
  const started: { db?: TestDatabase; ds?: DataSource; registry?: RunningRegistry; dlq?: KafkaMessage[] } = {};
  beforeAll(async () => {
    ({ db: started.db, ds: started.ds } = await openRegistryTables(kafka, label));
    started.dlq = await kafka.collect(Topics.DeliveriesDlq);
    started.registry = await startReadyRegistry(started.db, kafka);
  }, 120_000);
  afterAll(async () => {
    if (started.db) await opts.beforeClose?.(started.db);
    await closeRegistryTables(kafka, started);
  }, 60_000);
  const get = <K extends keyof typeof started>(k: K): NonNullable<(typeof started)[K]> => {
    const v = started[k];
    if (v === undefined) throw new Error(`registryOnOwnTables(${label}): no ${k} yet (read it in a test or a hook after beforeAll)`);
    return v as NonNullable<(typeof started)[K]>;
  };
  return {
    namespace,
    kafka,
    get db() {
      return get('db');
    },
    get ds() {
      return get('ds');
    },
    get registry() {
      return get('registry');
    },
    get dlq() {
      return get('dlq');
    },
    async reopenPool() {
      await started.ds?.destroy();
      started.ds = await registryPool(get('db'));
    },
  };
}

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class KafkaFixture {
  readonly kafka: Kafka;
  private producer?: Producer;
  private readonly consumers: Consumer[] = [];

  constructor(readonly namespace: string) {
    this.kafka = new Kafka({ clientId: `registry-test-${namespace}`, brokers: infraEnv().KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(topicName(s, this.namespace)));
      if (missing.length) {
        await createTopicsWithLeaders(
          admin,
          missing.map((s) => ({
            topic: topicName(s, this.namespace),
            numPartitions: 2,
            configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
          })),
        );
      }
    } finally {
      await admin.disconnect();
    }
  }

  async send(spec: TopicSpec, messages: { key: string; value: string | null }[]): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.producer.connect();
    }
    await this.producer.send({ topic: topicName(spec, this.namespace), acks: -1, messages });
  }

  /** Principals as the domain-api publishes them. */
  async publishPrincipals(principals: PrincipalSnapshot[]): Promise<void> {
    await this.send(
      Topics.Principals,
      principals.map((p) => ({ key: principalKey(p), value: JSON.stringify(PrincipalSnapshotContract.schema.parse(p)) })),
    );
  }

  /** Every message of a topic from the beginning, as it arrives. */
  async collect(spec: TopicSpec): Promise<KafkaMessage[]> {
    const messages: KafkaMessage[] = [];
    const consumer = this.kafka.consumer({ groupId: `${this.namespace}.collect.${randomUUID()}` });
    this.consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: topicName(spec, this.namespace), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    return messages;
  }

  async close(): Promise<void> {
    for (const c of this.consumers) await c.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await deleteKafkaNamespace(this.namespace).catch(() => undefined);
  }

}

export type TestTenant = TenantPrincipals;

const alnum = (n: number) => randomBytes(n).toString('hex').slice(0, n);

/** A tenant with one user and one API key (scopes as given), as principal snapshots. */
export function testTenant(scopes: ApiKeyScope[] = ['webhooks']): TestTenant {
  const slug = `t${alnum(8)}`;
  return tenantPrincipals(slug, scopes, { domain: `${slug}.projectbubble.com` });
}

export interface RunningRegistry {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** The registry in-process on a free port, configured like main.ts does. */
export async function startRegistry(env: Record<string, string>): Promise<RunningRegistry> {
  const fullEnv = {
    ...process.env,
    ...infraEnv(),
    LOG_LEVEL: 'warn',
    HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
    HERALD_SSRF_ALLOW_CIDRS: '127.0.0.0/8',
    HERALD_SECRETS_KEY: `k1:${randomBytes(32).toString('base64')}`,
    PORT: '3001',
    ...env,
  };
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(fullEnv), { bodyParser: false, logger: ['error'] });
  app.enableShutdownHooks();
  configureApp(app, { ...app.get<RegistryConfig>(HERALD_CONFIG), HERALD_PUBLIC_BASE_URL: 'http://localhost:3001' });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer() as Server).address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port.port}`,
    close: async () => {
      const started = Date.now();
      await app.close();
      if (process.env['REGISTRY_TEST_TIMING']) process.stderr.write(`registry closed in ${Date.now() - started} ms\n`);
    },
  };
}

/** The registry on `db` and the fixture's namespace, resolved once it is ready (its consumers joined). */
export async function startReadyRegistry(db: TestDatabase, kafka: KafkaFixture, env: Record<string, string> = {}): Promise<RunningRegistry> {
  const registry = await startRegistry({ DATABASE_URL: db.url, HERALD_KAFKA_NAMESPACE: kafka.namespace, ...env });
  try {
    await waitFor('registry ready', async () => (await fetch(`${registry.url}/health/ready`)).status === 200, 60_000);
    return registry;
  } catch (e) {
    await registry.close();
    throw e;
  }
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP receiver: records every request and answers with what the test scripts. */
export async function startReceiver(): Promise<{
  url: string;
  requests: ReceivedRequest[];
  respond: (fn: (req: ReceivedRequest) => { status: number; body?: string; delayMs?: number }) => void;
  close(): Promise<void>;
}> {
  const requests: ReceivedRequest[] = [];
  let responder: (req: ReceivedRequest) => { status: number; body?: string; delayMs?: number } = () => ({ status: 200, body: '{"status":"OK"}' });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      const answer = responder(r);
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body ?? '');
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond: (fn) => (responder = fn),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** fetch with a bearer key and a JSON body. */
export function api(base: string, apiKey: string | null) {
  return async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: {
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, headers: res.headers, body: json as any };
  };
}

/**
 * A project-level hook of a new template (on the template's own project), made through the
 * native API with `settings` (its url at least): what projects created from the template copy.
 */
export async function createTemplateHook(
  call: ReturnType<typeof api>,
  settings: Record<string, unknown>,
): Promise<{ templateId: string; hook: { id: string } }> {
  const templateId = `tpl-${randomUUID()}`;
  const res = await call('POST', '/v1/webhooks', { eventTypes: ['task.created'], scope: { kind: 'project', projectId: 'template-project' }, templateId, ...settings });
  if (res.status !== 201) throw new Error(`template hook not created: ${res.status} ${JSON.stringify(res.body)}`);
  return { templateId, hook: res.body };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** What most registry int specs run against (see `startRegistryStack`). */
export interface RegistryStack {
  db: TestDatabase;
  registry: RunningRegistry;
  receiver: Receiver;
  /** herald.subscriptions.v1 as it arrives. */
  snapshots: KafkaMessage[];
  /** Stops the registry and the receiver, deletes the namespace and drops the database. */
  close(): Promise<void>;
}

/**
 * A database and (the fixture's) Kafka namespace of their own with every registry topic, the
 * principals published, the registry in-process, the subscriptions topic collected and a local
 * receiver; resolves once `probeKey` can list hooks (the principals view caught up).
 */
export async function startRegistryStack(
  kafka: KafkaFixture,
  opts: { label: string; principals: PrincipalSnapshot[]; probeKey: string; env?: Record<string, string> },
): Promise<RegistryStack> {
  const db = await createRegistryDatabase(opts.label);
  let registry: RunningRegistry | undefined;
  let receiver: Receiver | undefined;
  const close = async () => {
    await registry?.close();
    await receiver?.close();
    await kafka.close();
    await db.drop();
  };
  try {
    // Every topic exists before the app starts, so its consumers join at once.
    await kafka.ensureTopics(REGISTRY_TOPICS);
    await kafka.publishPrincipals(opts.principals);
    registry = await startRegistry({ DATABASE_URL: db.url, HERALD_KAFKA_NAMESPACE: kafka.namespace, ...opts.env });
    const snapshots = await kafka.collect(Topics.Subscriptions);
    receiver = await startReceiver();
    const url = registry.url;
    await waitFor('principals loaded', async () => (await api(url, opts.probeKey)('GET', '/v1/webhooks')).status === 200);
    return { db, registry, receiver, snapshots, close };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}
