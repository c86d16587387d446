import { Kafka, logLevel } from 'kafkajs';
import { ConsumerGroups, RetryTierTopics, Topics, retryTierLabel, RETRY_TIER_DELAYS_MS, topicName } from '@herald/contracts';
import { ConsumerDeps, DeadLetterWriter, HeraldProducer, KafkaClient, createTopicsWithLeaders } from '@herald/platform/kafka';
import { MetricsRegistry, ReadinessRegistry } from '@herald/platform/observability';
import { deleteKafkaNamespace, kafkaBrokers, uniqueKafkaNamespace } from '@herald/platform/testing';
import { dispatchMetrics } from './dispatch-metrics';
import { LagMonitor } from './lag-monitor';

// Issue 14: the broker's idle CPU. The lag monitor polls every 10 s even when nothing moves; it
// asked the group coordinator for the committed offsets one topic at a time (a FindCoordinator and
// an OffsetFetch for each of the deliveries topic and every tier: most of an idle dispatcher's
// requests). One OffsetFetch carries them all, and the figures stay those of each topic.
describe('LagMonitor (real broker)', () => {
  const namespace = uniqueKafkaNamespace('lag-monitor');
  const kafka = new Kafka({ clientId: 'lag-monitor-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const client = new KafkaClient({ clientId: 'lag-monitor-test', brokers: kafkaBrokers(), namespace, partitionsOverride: 1 });
  const registry = new MetricsRegistry('lag-monitor-test');
  const deps = new ConsumerDeps(client, new DeadLetterWriter(new HeraldProducer(client)), new ReadinessRegistry(), registry);
  const metrics = dispatchMetrics(registry);
  const groupId = `${namespace}.${ConsumerGroups.DeliveryDispatcher}`;
  const topics = [Topics.Deliveries, ...RetryTierTopics];

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsWithLeaders(admin, topics.map((t) => ({ topic: topicName(t, namespace), numPartitions: 1 })));
      const producer = kafka.producer();
      await producer.connect();
      // 5 deliveries (3 committed), 4 in the first tier (none committed), 2 in the last (2 committed).
      await producer.send({ topic: topicName(Topics.Deliveries, namespace), messages: Array.from({ length: 5 }, (_, i) => ({ key: `d${i}`, value: 'x' })) });
      await producer.send({ topic: topicName(RetryTierTopics[0], namespace), messages: Array.from({ length: 4 }, (_, i) => ({ key: `t${i}`, value: 'x' })) });
      const last = RetryTierTopics[RetryTierTopics.length - 1];
      await producer.send({ topic: topicName(last, namespace), messages: Array.from({ length: 2 }, (_, i) => ({ key: `l${i}`, value: 'x' })) });
      await producer.disconnect();
      await admin.setOffsets({ groupId, topic: topicName(Topics.Deliveries, namespace), partitions: [{ partition: 0, offset: '3' }] });
      await admin.setOffsets({ groupId, topic: topicName(last, namespace), partitions: [{ partition: 0, offset: '2' }] });
    } finally {
      await admin.disconnect();
    }
  });

  afterAll(async () => {
    await client.onApplicationShutdown();
    await deleteKafkaNamespace(namespace);
  });

  it('reads the committed offsets of the deliveries topic and every tier in one OffsetFetch; lag and tier depths as before', async () => {
    const admin = await client.admin();
    const requests: string[] = [];
    const off = admin.on(admin.events.REQUEST, (e) => requests.push(e.payload.apiName));
    try {
      await new LagMonitor(deps, metrics).poll();
    } finally {
      off();
    }
    expect(requests.filter((r) => r === 'OffsetFetch')).toHaveLength(1);
    expect(requests.filter((r) => r === 'GroupCoordinator').length).toBeLessThanOrEqual(1);

    const gauge = async (name: string) => (await registry.registry.getSingleMetric(name)?.get())?.values ?? [];
    expect((await gauge('herald_consumer_lag')).map((v) => [v.labels['topic'], v.value])).toEqual([[topicName(Topics.Deliveries, namespace), 2]]);
    const depths = Object.fromEntries((await gauge('herald_retry_tier_depth')).map((v) => [v.labels['tier'], v.value]));
    expect(depths).toEqual(Object.fromEntries(RETRY_TIER_DELAYS_MS.map((ms, i) => [retryTierLabel(ms), i === 0 ? 4 : 0])));
  });
});
