import { Kafka, logLevel } from 'kafkajs';
import { RetryTierTopics, Topics, topicName, type TopicSpec } from '@herald/contracts';
import { ConsumerDeps, DeadLetterWriter, HeraldProducer, KafkaClient } from '@herald/platform/kafka';
import { MetricsRegistry, ReadinessRegistry } from '@herald/platform/observability';
import { deleteKafkaNamespace, kafkaBrokers, uniqueKafkaNamespace, waitFor } from '@herald/platform/testing';
import { seedTopics } from './testing';
import { TrackedConsumer, type TopicPartition } from './tracked-consumer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Issue 12.7 (review): the dispatcher's round-robin fallback can take one topic's partition p
// from a member and leave it another topic's p. `DeliveryEngine.forgetPartitions` relies on two
// things this pins on a broker: `onRevoked` names the topic of each partition it took, and a
// message of a revoked partition finished afterwards (let go) commits nothing — the new owner is
// handed it — while one of a partition kept commits as usual.
describe('TrackedConsumer, a round-robin rebalance that splits partition 0 of two topics (real broker)', () => {
  const namespace = uniqueKafkaNamespace('tracked-revoke');
  const group = 'herald.tracked-revoke-test';
  const topics: TopicSpec[] = [Topics.Deliveries, RetryTierTopics[0]];
  const kafka = new Kafka({ clientId: 'tracked-revoke-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const clients: KafkaClient[] = [];
  const members: TrackedConsumer[] = [];

  const member = (name: string, handler: (m: { topic: TopicSpec; offset: string }) => Promise<void>, onRevoked?: (tps: TopicPartition[]) => void) => {
    const client = new KafkaClient({ clientId: name, brokers: kafkaBrokers(), namespace });
    clients.push(client);
    const deps = new ConsumerDeps(client, new DeadLetterWriter(new HeraldProducer(client)), new ReadinessRegistry(), new MetricsRegistry(name));
    // No `coPartitioned`: kafkajs' round-robin assigner, the dispatcher's fallback during a rolling upgrade.
    const consumer = new TrackedConsumer(deps, { name, topics, groupId: group, maxPendingPerPartition: 100, sessionTimeoutMs: 10_000, onRevoked }, handler);
    members.push(consumer);
    void consumer.start();
    return consumer;
  };

  const committed = async (): Promise<Map<string, string>> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const out = new Map<string, string>();
      for (const t of topics) {
        const [r] = await admin.fetchOffsets({ groupId: `${namespace}.${group}`, topics: [topicName(t, namespace)] });
        out.set(t.name, r?.partitions[0]?.offset ?? '-1');
      }
      return out;
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(() => seedTopics(kafka, namespace, topics.map((spec) => ({ spec, messages: [{ key: 'sub', value: spec.name }] }))));

  afterAll(async () => {
    // Together: one leaving alone would make the other rejoin while it stops.
    await Promise.all(members.map((m) => m.stop()));
    for (const c of clients) await c.onApplicationShutdown();
    await deleteKafkaNamespace(namespace);
  });

  it('names the revoked topic; what the member finishes of it afterwards commits nothing (the new owner gets it), what it kept commits', async () => {
    const held = new Map<string, () => void>();
    const revoked: TopicPartition[] = [];
    member('a', ({ topic }) => new Promise<void>((finish) => held.set(topic.name, finish)), (tps) => revoked.push(...tps));
    await waitFor(async () => held.size === 2, { timeoutMs: 45_000, message: 'the first member holds both messages, unfinished' });

    // The second member holds what it is handed (never finished: nothing of it is committed by it).
    const handedToB: string[] = [];
    member('b', ({ topic, offset }) => {
      handedToB.push(`${topic.name}@${offset}`);
      return new Promise<void>(() => undefined);
    });
    await waitFor(async () => revoked.length > 0, { timeoutMs: 45_000, message: 'the rebalance took one partition from the first member' });
    expect(revoked).toHaveLength(1);
    const [lost] = revoked;
    expect(lost.partition).toBe(0);
    expect(topics.map((t) => t.name)).toContain(lost.topic.name);
    const kept = topics.find((t) => t.name !== lost.topic.name) as TopicSpec;

    // The first member finishes both: the lost one is let go, the kept one is done.
    for (const finish of held.values()) finish();
    await waitFor(async () => (await committed()).get(kept.name) === '1', { timeoutMs: 15_000, message: 'the kept partition committed past its message' });
    await waitFor(async () => handedToB.length > 0, { timeoutMs: 45_000, message: 'the new owner was handed the revoked partition\'s message' });
    await sleep(1_500); // several commit intervals of the first member
    expect(handedToB).toEqual([`${lost.topic.name}@0`]);
    expect(['-1', '0']).toContain((await committed()).get(lost.topic.name));
  });
});
