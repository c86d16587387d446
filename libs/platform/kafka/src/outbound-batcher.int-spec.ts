import { randomBytes } from 'node:crypto';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { Headers, RetryTierTopics, Topics, type TopicSpec } from '@herald/contracts';
import { deleteKafkaNamespace, requireEnv, uniqueKafkaNamespace, waitFor } from '@herald/platform/testing';
import { DeadLetterWriter } from './dead-letter';
import { KafkaClient, type KafkaCompression } from './kafka-client';
import { OutboundBatcher, REFUSED_BY_BROKER } from './outbound-batcher';
import { HeraldProducer, type RawMessage } from './producer';
import { TopicAdmin } from './topic-admin';

// Issue 12.4 against the real broker (max.message.bytes 1,048,588 by default): a message the
// broker refuses as too large is dead-lettered alone, the others are produced, and the
// producer keeps working; no request is retried for ever.
jest.setTimeout(120_000);

const TIER = RetryTierTopics[0];

describe('OutboundBatcher against the real broker: a message refused as too large', () => {
  const namespace = uniqueKafkaNamespace('batcher');
  const clients: KafkaClient[] = [];
  const producers: HeraldProducer[] = [];
  const consumers: Consumer[] = [];

  function setup(compression: KafkaCompression) {
    const client = new KafkaClient({ clientId: `batcher-int-${compression}`, brokers: requireEnv('KAFKA_BROKERS').split(','), namespace, partitionsOverride: 1, compression });
    const producer = new HeraldProducer(client);
    clients.push(client);
    producers.push(producer);
    return { client, producer, deadLetters: new DeadLetterWriter(producer) };
  }

  /** Every message of a topic, as it arrives. */
  async function collect(client: KafkaClient, topic: TopicSpec): Promise<KafkaMessage[]> {
    const got: KafkaMessage[] = [];
    const consumer = client.kafka.consumer({ groupId: `${namespace}.collect.${topic.name}.${consumers.length}` });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: client.topic(topic), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
    return got;
  }

  const small = (key: string): RawMessage => ({ key, value: JSON.stringify({ key }), headers: { [Headers.Schema]: 'test/1' } });
  /** 1.2 MB of random base64: over the broker's limit uncompressed (gzip brings it to ~0.9 MB). */
  const huge = (key: string): RawMessage => ({ key, value: randomBytes(900_000).toString('base64'), headers: { [Headers.Schema]: 'test/1' } });
  const keys = (ms: KafkaMessage[]) => ms.map((m) => m.key?.toString());

  beforeAll(async () => {
    const { client } = setup('gzip');
    await new TopicAdmin(client).ensureTopics([TIER, Topics.DeliveryOutcomes, Topics.DeliveriesDlq]);
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    for (const p of producers) await p.onApplicationShutdown();
    for (const c of clients) await c.onApplicationShutdown();
    await deleteKafkaNamespace(namespace);
  });

  it('dead-letters the refused message alone (without its value: the DLQ refuses it too), produces the others in order, and goes on', async () => {
    const { client, producer, deadLetters } = setup('none');
    const tier = await collect(client, TIER);
    const outcomes = await collect(client, Topics.DeliveryOutcomes);
    const dlq = await collect(client, Topics.DeliveriesDlq);
    const told: string[] = [];
    // A byte cap far above the broker's limit, so the refused message shares its requests with
    // others (two topics, so two partitions in one request).
    const batcher = new OutboundBatcher(producer, {
      lingerMs: 5,
      maxBytes: 20_000_000,
      onFailure: 'retry',
      deadLetters: { writer: deadLetters, topicFor: () => Topics.DeliveriesDlq },
      onDeadLettered: (_t, m) => void told.push(m.key),
    });
    const items = [
      ...['t1', 't2', 't3'].map((k) => ({ topic: TIER, message: small(k) })),
      { topic: TIER, message: huge('huge') },
      ...['t4', 't5'].map((k) => ({ topic: TIER, message: small(k) })),
      ...['o1', 'o2', 'o3'].map((k) => ({ topic: Topics.DeliveryOutcomes, message: small(k) })),
    ];
    const started = Date.now();
    await batcher.addAll(items);
    expect(Date.now() - started).toBeLessThan(60_000);

    await waitFor(() => dlq.length === 1 && new Set(keys(tier)).size === 5 && new Set(keys(outcomes)).size === 3, {
      timeoutMs: 30_000,
      message: 'the dead letter and the 8 others',
    });
    const [dead] = dlq;
    const headers = Object.fromEntries(Object.entries(dead.headers ?? {}).map(([k, v]) => [k, String(v)]));
    expect(dead.key?.toString()).toBe('huge');
    expect(headers[Headers.DlqErrorClass]).toBe(REFUSED_BY_BROKER);
    expect(headers[Headers.DlqReason]).toMatch(/kafka MESSAGE_TOO_LARGE/);
    expect(headers[Headers.DlqSourceTopic]).toBe(TIER.name);
    expect(Number(headers[Headers.DlqValueOmittedBytes])).toBe(1_200_000);
    expect(dead.value).toBeNull();
    expect(told).toEqual(['huge']);
    // In order (a message may come twice: a partition the broker took in a request it refused
    // for another partition is sent again; never lost, never reordered).
    const firstSeen = (ms: KafkaMessage[]) => [...new Set(keys(ms))];
    expect(firstSeen(tier)).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(firstSeen(outcomes)).toEqual(['o1', 'o2', 'o3']);

    // The producer is fine afterwards: the next batch goes through at once.
    await batcher.addAll([{ topic: TIER, message: small('after') }]);
    await waitFor(() => keys(tier).includes('after'), { timeoutMs: 20_000, message: 'the next message' });
  });

  it('a request the broker took in part (one partition refused, another written) leaves the producer working: what was written may come twice, nothing is lost or dead-lettered wrongly', async () => {
    const { client, producer, deadLetters } = setup('none');
    const outcomes = await collect(client, Topics.DeliveryOutcomes);
    const dlq = await collect(client, Topics.DeliveriesDlq);
    const batcher = new OutboundBatcher(producer, {
      lingerMs: 5,
      maxBytes: 20_000_000,
      onFailure: 'retry',
      deadLetters: { writer: deadLetters, topicFor: () => Topics.DeliveriesDlq },
    });
    // The outcomes partition's three messages straddle the split: halves [p1, x1, big] and [p2, x2, p3].
    await batcher.addAll([
      { topic: Topics.DeliveryOutcomes, message: small('p1') },
      { topic: TIER, message: small('x1') },
      { topic: TIER, message: huge('big') },
      { topic: Topics.DeliveryOutcomes, message: small('p2') },
      { topic: TIER, message: small('x2') },
      { topic: Topics.DeliveryOutcomes, message: small('p3') },
    ]);
    await batcher.addAll([{ topic: Topics.DeliveryOutcomes, message: small('p4') }]);
    const ours = (ms: KafkaMessage[]) => keys(ms).filter((k) => /^p\d$|^big$/.test(String(k)));
    await waitFor(() => ours(outcomes).includes('p4') && ours(dlq).includes('big'), { timeoutMs: 30_000, message: 'p4 produced, big dead-lettered' });
    expect([...new Set(ours(outcomes))]).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(ours(dlq)).toEqual(['big']);
  });

  it('compressed, the same huge-but-compressible message fits; an incompressible one is dead-lettered', async () => {
    const { client, producer, deadLetters } = setup('gzip');
    const tier = await collect(client, TIER);
    const dlq = await collect(client, Topics.DeliveriesDlq);
    const batcher = new OutboundBatcher(producer, {
      lingerMs: 1,
      onFailure: 'retry',
      deadLetters: { writer: deadLetters, topicFor: () => Topics.DeliveriesDlq },
    });
    const compressible: RawMessage = { key: 'compressible', value: '"quoted" text, '.repeat(100_000) }; // 1.5 MB raw
    await batcher.addAll([
      { topic: TIER, message: compressible },
      { topic: TIER, message: { key: 'incompressible', value: randomBytes(1_200_000) } },
      { topic: TIER, message: small('last') },
    ]);
    // (The collectors read the topics from the start: the first test's messages are there too.)
    const ours = (ms: KafkaMessage[]) => ms.filter((m) => ['compressible', 'incompressible', 'last'].includes(String(m.key)));
    await waitFor(() => ours(tier).length >= 2 && ours(dlq).length >= 1, { timeoutMs: 30_000, message: 'two produced, one dead letter' });
    expect(keys(ours(tier))).toEqual(['compressible', 'last']);
    expect(ours(tier)[0].value?.length).toBe(1_500_000);
    expect(keys(ours(dlq))).toEqual(['incompressible']);
    expect(ours(dlq)[0].value).toBeNull(); // 1.2 MB of random bytes fit nowhere: the dead letter goes without it
  });
});
