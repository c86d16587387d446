import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import {
  DeliverySchema,
  Headers,
  Topics,
  topicName,
  type Delivery,
  type DeliveryOutcome,
  type SubscriptionSnapshot,
  type TopicSpec,
} from '@herald/contracts';
import { SecretBox } from '@herald/platform/crypto';
import { collectTopic, subscriptionSnapshotFixture } from '@herald/platform/testing';
import { generateSigningSecret } from '@herald/delivery/signing';
import { DispatcherService } from '@herald/delivery/dispatch';
import { AppModule } from '../src/app.module';

export const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Received {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Answer = (req: Received, res: ServerResponse) => void;

/** A loopback receiver whose answer a test scripts; it records every request. */
export async function startReceiver(answer: Answer = (_r, res) => res.writeHead(200).end('ok')) {
  const received: Received[] = [];
  let script = answer;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        at: Date.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      script(r, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    received,
    set answer(a: Answer) {
      script = a;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The dispatcher in-process against the real broker, in a namespace of its own, plus a producer, collectors and receivers. */
export async function startDispatcherHarness(label: string, opts: { allowLoopback: boolean; env?: Record<string, string> }) {
  const namespace = `it-${label}-${randomUUID().slice(0, 8)}`;
  const secretsKey = randomBytes(32).toString('base64');
  const box = SecretBox.fromSpec(secretsKey);
  const kafka = new Kafka({ clientId: `${label}-test`, brokers, logLevel: logLevel.NOTHING });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '3999',
    LOG_LEVEL: 'warn',
    KAFKA_BROKERS: brokers.join(','),
    HERALD_KAFKA_NAMESPACE: namespace,
    HERALD_KAFKA_PARTITIONS_OVERRIDE: '2',
    HERALD_SECRETS_KEY: secretsKey,
    HERALD_SSRF_ALLOW_CIDRS: opts.allowLoopback ? '127.0.0.0/8' : '',
    HERALD_DISPATCH_SHUTDOWN_GRACE_MS: '3000',
    ...opts.env,
  };
  let app: INestApplication = await NestFactory.create(AppModule.forRoot(env), { logger: ['error'], abortOnError: false });
  await app.init();
  let dispatcher = app.get(DispatcherService);
  await dispatcher.whenStarted();

  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const consumers: Consumer[] = [];

  /** Every message of a topic from the beginning, as it arrives. */
  const collect = (spec: TopicSpec) => collectTopic(kafka, namespace, spec, consumers);
  const receivers: { close: () => Promise<void> }[] = [];
  const outcomeMessages = await collect(Topics.DeliveryOutcomes);
  const outcomes = () => outcomeMessages.map((m) => JSON.parse(m.value?.toString() ?? 'null') as DeliveryOutcome);

  const harness = {
    namespace,
    box,
    kafka,
    /** The harness's producer, for what a spec sends as it is (stopped by `stop`). */
    producer,
    get dispatcher() {
      return dispatcher;
    },
    collect,
    /** A loopback receiver (`startReceiver`) that `stop` closes. */
    async receiver(answer?: Answer) {
      const r = await startReceiver(answer);
      receivers.push(r);
      return r;
    },
    outcomes,
    outcomesOf: (deliveryId: string) => outcomes().filter((o) => o.deliveryId === deliveryId),

    /** A full snapshot with encrypted secrets; `signingSecrets` are plaintext `whsec_` values. */
    snapshot(over: Partial<Omit<SubscriptionSnapshot, 'signingSecrets'>> & { url: string; secrets?: { secret: string; expiresAt: string | null }[] }): {
      snapshot: SubscriptionSnapshot;
      secrets: string[];
    } {
      const secrets = over.secrets ?? [{ secret: generateSigningSecret(), expiresAt: null }];
      const { secrets: _ignored, ...rest } = over;
      const snapshot = subscriptionSnapshotFixture({
        id: `sub_${randomUUID()}`,
        tenantId: 'tenant-1',
        ownerUserId: 'user-1',
        timeoutMs: 2_000,
        retryPolicy: { scheduleMs: [1_000], maxAttempts: 3, maxAgeMs: 600_000, onExhausted: 'dlq' },
        ...rest,
        signingSecrets: secrets.map((s) => ({ secret: box.encrypt(s.secret), expiresAt: s.expiresAt })),
      });
      return { snapshot, secrets: secrets.map((s) => s.secret) };
    },

    /** Publishes snapshots and waits until the dispatcher's view holds them. */
    async publishSnapshots(...snapshots: SubscriptionSnapshot[]): Promise<void> {
      await producer.send({
        topic: topicName(Topics.Subscriptions, namespace),
        messages: snapshots.map((s) => ({ key: s.id, value: JSON.stringify(s) })),
      });
      await waitFor('snapshots in the view', () => snapshots.every((s) => dispatcher.directory.versionOf(s.id) === s.version));
    },

    delivery(subscriptionId: string, n: number, over: Partial<Delivery> = {}): Delivery {
      const now = new Date().toISOString();
      return DeliverySchema.parse({
        deliveryId: randomUUID(),
        eventId: `evt_${randomUUID()}`,
        subscriptionId,
        subscriptionVersion: 1,
        tenantId: 'tenant-1',
        eventType: 'task.created',
        resourceType: 'task',
        resourceId: `task-${n}`,
        projectId: null,
        occurredAt: now,
        routedAt: now,
        attempt: 1,
        firstAttemptAt: null,
        body: JSON.stringify({ type: 'task.created', timestamp: now, data: { id: `task-${n}`, n } }),
        contentType: 'application/json',
        headers: {},
        origin: 'event',
        ...over,
      });
    },

    /** Deliveries onto the main topic, keyed by subscription; `partition` pins them (same-partition scenarios). */
    async publishDeliveries(deliveries: Delivery[], partition?: number): Promise<void> {
      await producer.send({
        topic: topicName(Topics.Deliveries, namespace),
        messages: deliveries.map((d) => ({
          key: d.subscriptionId,
          value: JSON.stringify(d),
          partition,
          headers: { [Headers.Schema]: 'delivery/1' },
        })),
      });
    },

    async publishRaw(value: string, key: string): Promise<void> {
      await producer.send({ topic: topicName(Topics.Deliveries, namespace), messages: [{ key, value }] });
    },

    /** Stops the in-process app gracefully (SIGTERM path) and starts a fresh one on the same namespace. */
    async restart(): Promise<void> {
      await app.close();
      app = await NestFactory.create(AppModule.forRoot(env), { logger: ['error'], abortOnError: false });
      await app.init();
      dispatcher = app.get(DispatcherService);
      await dispatcher.whenStarted();
    },

    async stop(): Promise<void> {
      await app.close();
      await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
      await admin.deleteTopics({ topics }).catch(() => undefined);
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${namespace}.`));
      await admin.deleteGroups(groups).catch(() => undefined);
      await admin.disconnect();
      await Promise.all(receivers.map((r) => r.close()));
    },
  };
  return harness;
}

export type DispatcherHarness = Awaited<ReturnType<typeof startDispatcherHarness>>;

/**
 * A spec's harness: registers the `beforeAll` that starts it and the `afterAll` that stops it
 * (receivers and all). What it returns stands for the started harness in tests and later hooks.
 */
export function dispatcherHarnessFor(label: string, opts: { allowLoopback: boolean; env?: Record<string, string> }): DispatcherHarness {
  let started: DispatcherHarness | undefined;
  beforeAll(async () => {
    started = await startDispatcherHarness(label, opts);
  }, 60_000);
  afterAll(async () => {
    await started?.stop();
  }, 60_000);
  return new Proxy({} as DispatcherHarness, {
    get(_target, key) {
      if (!started) throw new Error(`the ${label} dispatcher harness is not started (use it in a test or a later hook)`);
      return Reflect.get(started, key, started);
    },
  });
}
