import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { ConsumerGroups, DeliverySchema, Headers, Topics, topicName, type Delivery, type SubscriptionSnapshot } from '@herald/contracts';
import { SecretBox } from '@herald/platform/crypto';
import { deleteKafkaNamespace, spawnService, subscriptionSnapshotFixture, uniqueKafkaNamespace, waitFor, type SpawnedService } from '@herald/platform/testing';
import { generateSigningSecret } from '@herald/delivery/signing';

// Issue 12.7: ordered delivery mode with three dispatcher processes, one SIGKILLed in the middle
// of every ordered hook's failure streak, then a new one joining while it goes on. Twelve
// ordered hooks, two on each of the six partitions, so the killed dispatcher held some; their
// receiver answers 500 to everything until a while after both rebalances (the kill's waits for
// the group's 30 s session timeout), then 200. Each hook's receiver must see its events in order — none sent before every earlier one
// was accepted — with nothing missing, and no event accepted twice.

const PARTITIONS = 6;
const HOOKS_PER_PARTITION = 2;
const BEFORE_KILL = 4;
const AFTER_KILL = 4;
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');

interface Arrival {
  hook: string;
  eventId: string;
  status: number;
}

/** The partition kafkajs's default partitioner (Herald's producers' too) gives a key. */
function partitionOf(key: string): number {
  const partitioner = Partitioners.DefaultPartitioner();
  return partitioner({
    topic: 't',
    partitionMetadata: Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] })),
    message: { key, value: null },
  });
}

/** Hook ids, `HOOKS_PER_PARTITION` on each partition. */
function hookIds(): string[] {
  const per = new Map<number, string[]>();
  while ([...per.values()].flat().length < PARTITIONS * HOOKS_PER_PARTITION) {
    const id = `sub_${randomUUID()}`;
    const p = partitionOf(id);
    const list = per.get(p) ?? [];
    if (list.length < HOOKS_PER_PARTITION) per.set(p, [...list, id]);
  }
  return [...per.values()].flat();
}

describe('ordered mode at three dispatchers, one SIGKILLed and one joining during a failure streak', () => {
  const namespace = uniqueKafkaNamespace('ordered-n');
  const secretsKey = randomBytes(32).toString('base64');
  const box = SecretBox.fromSpec(secretsKey);
  const kafka = new Kafka({ clientId: 'ordered-replicas-test', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const dispatchers: SpawnedService[] = [];
  const arrivals: Arrival[] = [];
  let streakUntil = Number.POSITIVE_INFINITY;
  let server: Server;
  let producer: Producer;

  const env = {
    KAFKA_BROKERS: brokers.join(','),
    HERALD_KAFKA_NAMESPACE: namespace,
    HERALD_KAFKA_PARTITIONS_OVERRIDE: String(PARTITIONS),
    HERALD_SECRETS_KEY: secretsKey,
    HERALD_SSRF_ALLOW_CIDRS: '127.0.0.0/8',
    HERALD_DISPATCH_SHUTDOWN_GRACE_MS: '3000',
    LOG_LEVEL: 'warn',
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const status = Date.now() < streakUntil ? 500 : 200;
        arrivals.push({ hook: req.url ?? '', eventId: String(req.headers['webhook-id'] ?? ''), status });
        res.writeHead(status).end(status === 200 ? 'ok' : 'not yet');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  afterAll(async () => {
    streakUntil = 0;
    await admin.disconnect().catch(() => undefined);
    await Promise.all(dispatchers.map((d) => d.stop().catch(() => undefined)));
    await producer?.disconnect().catch(() => undefined);
    await new Promise<void>((r) => server.close(() => r()));
    await deleteKafkaNamespace(namespace).catch(() => undefined);
  });

  it('every ordered hook\'s receiver sees its events in order, nothing missing, none accepted twice', async () => {
    const port = (server.address() as AddressInfo).port;
    // The first dispatcher creates the topics; the snapshots are in place before the others start.
    dispatchers.push(await spawnService('delivery-dispatcher', env));
    const ids = hookIds();
    const snapshots: SubscriptionSnapshot[] = ids.map((id, i) =>
      subscriptionSnapshotFixture({
        id,
        tenantId: 'tenant-1',
        ownerUserId: 'user-1',
        url: `http://127.0.0.1:${port}/h/${i}`,
        deliveryMode: 'ordered',
        timeoutMs: 2_000,
        retryPolicy: { scheduleMs: [1_000], maxAttempts: 500, maxAgeMs: 600_000, onExhausted: 'dlq' },
        signingSecrets: [{ secret: box.encrypt(generateSigningSecret()), expiresAt: null }],
      }),
    );
    await producer.send({
      topic: topicName(Topics.Subscriptions, namespace),
      messages: snapshots.map((s) => ({ key: s.id, value: JSON.stringify(s) })),
    });
    dispatchers.push(...(await Promise.all([spawnService('delivery-dispatcher', env), spawnService('delivery-dispatcher', env)])));
    await admin.connect();
    const group = `${namespace}.${ConsumerGroups.DeliveryDispatcher}`;
    const members = (n: number) =>
      waitFor(
        async () => {
          const [g] = (await admin.describeGroups([group])).groups;
          return g?.state === 'Stable' && g.members.length === n;
        },
        { timeoutMs: 120_000, intervalMs: 500, message: `${n} dispatchers in the group` },
      );
    await members(3);

    const now = () => new Date().toISOString();
    const delivery = (subscriptionId: string, n: number): Delivery =>
      DeliverySchema.parse({
        deliveryId: randomUUID(),
        eventId: `evt_${subscriptionId.slice(4, 12)}_${n}`,
        subscriptionId,
        subscriptionVersion: 1,
        tenantId: 'tenant-1',
        eventType: 'task.updated',
        resourceType: 'task',
        resourceId: `task-${n}`,
        projectId: null,
        occurredAt: now(),
        routedAt: now(),
        attempt: 1,
        firstAttemptAt: null,
        body: JSON.stringify({ type: 'task.updated', timestamp: now(), data: { n } }),
        contentType: 'application/json',
        headers: {},
        origin: 'event',
      });
    const sent = new Map<string, string[]>(ids.map((id) => [id, []]));
    const publish = async (from: number, count: number) => {
      const ds = ids.flatMap((id) => Array.from({ length: count }, (_, k) => delivery(id, from + k)));
      for (const d of ds) sent.get(d.subscriptionId)?.push(d.eventId);
      await producer.send({
        topic: topicName(Topics.Deliveries, namespace),
        messages: ds.map((d) => ({ key: d.subscriptionId, value: JSON.stringify(d), headers: { [Headers.Schema]: 'delivery/1' } })),
      });
    };

    await publish(0, BEFORE_KILL);
    // Every hook's head has failed a few times: its pipe is parked in a retry tier.
    await waitFor(() => ids.every((_, i) => arrivals.filter((a) => a.hook === `/h/${i}`).length >= 3), {
      timeoutMs: 60_000,
      message: 'each hook\'s head retried',
    });
    const victim = dispatchers[1];
    process.kill(victim.pid, 'SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    await publish(BEFORE_KILL, AFTER_KILL);
    // Failing until a while after the dead member's partitions were given to the others (its
    // session timed out): their new owners get the later deliveries during the streak.
    await members(2);
    // And a dispatcher joins while the streak goes on: partitions move from live members to it.
    dispatchers.push(await spawnService('delivery-dispatcher', env));
    await members(3);
    await admin.disconnect();
    streakUntil = Date.now() + 15_000;

    const accepted = (i: number) => new Set(arrivals.filter((a) => a.hook === `/h/${i}` && a.status === 200).map((a) => a.eventId));
    let allAccepted = true;
    await waitFor(() => ids.every((id, i) => (sent.get(id) ?? []).every((e) => accepted(i).has(e))), {
      timeoutMs: 150_000,
      intervalMs: 500,
      message: 'every delivery accepted',
    }).catch(() => (allAccepted = false)); // what is missing is reported below

    const problems: Record<string, unknown>[] = [];
    ids.forEach((id, i) => {
      const expected = sent.get(id) ?? [];
      const seq = arrivals.filter((a) => a.hook === `/h/${i}`);
      const firstAccepted = expected.map((e) => seq.findIndex((a) => a.eventId === e && a.status === 200));
      // Nothing missing, accepted in order.
      const missing = expected.filter((_, k) => firstAccepted[k] < 0);
      const inOrder = firstAccepted.every((x, k) => k === 0 || x > firstAccepted[k - 1]);
      // None sent before every earlier one was accepted (ordered mode: one at a time, in order).
      const sentEarly = [
        ...new Set(
          seq
            .map((a, at) => ({ at, k: expected.indexOf(a.eventId) }))
            .filter(({ at, k }) => k > 0 && at < firstAccepted[k - 1])
            .map(({ k }) => k),
        ),
      ];
      // None accepted twice.
      const acceptedTwice = expected.map((e, k) => [k, seq.filter((a) => a.eventId === e && a.status === 200).length] as const).filter(([, n]) => n > 1).map(([k]) => k);
      if (missing.length || !inOrder || sentEarly.length || acceptedTwice.length) {
        // Each arrival as <index of the event>:<status>, in arrival order.
        problems.push({ hook: i, partition: partitionOf(id), missing, inOrder, sentEarly, acceptedTwice, arrivals: seq.map((a) => `${expected.indexOf(a.eventId)}:${a.status}`).join(' ') });
      }
    });
    console.log(
      `ordered at three dispatchers, one killed ${Math.round((Date.now() - killedAt) / 1000)} s before the end: ${ids.length} hooks, ${arrivals.length} requests, ${problems.length} hooks with a problem`,
    );
    if (problems.length > 0) for (const d of dispatchers) d.printOutput();
    expect({ allAccepted, problems }).toEqual({ allAccepted: true, problems: [] });
  }, 420_000);
});
