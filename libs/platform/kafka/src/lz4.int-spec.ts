import { randomUUID } from 'node:crypto';
import { CompressionTypes, logLevel, type KafkaMessage } from 'kafkajs';
import { ResourceChangeContract, Topics, type ResourceChange } from '@herald/contracts';
import { deleteKafkaNamespace, kafkaBrokers, uniqueKafkaNamespace, waitFor } from '@herald/platform/testing';
import { KafkaClient, createKafka } from './kafka-client';
import { HeraldProducer } from './producer';
import { TopicAdmin } from './topic-admin';

// HERALD_KAFKA_COMPRESSION=lz4 against the real broker: it takes the producer's LZ4 frames (a
// broker validates each batch it receives, decompressing it) and a consumer of this lib reads
// them back as they were sent.
jest.setTimeout(90_000);

describe('lz4 compression (lz4-napi codec) on a real broker', () => {
  const namespace = uniqueKafkaNamespace('lz4');
  const client = new KafkaClient({ clientId: 'lz4-test', brokers: kafkaBrokers(), namespace, compression: 'lz4' });
  const producer = new HeraldProducer(client);

  afterAll(async () => {
    await producer.onApplicationShutdown();
    await client.onApplicationShutdown();
    await deleteKafkaNamespace(namespace).catch(() => undefined);
  });

  it('produces LZ4 batches the broker accepts and a consumer reads back unchanged', async () => {
    expect(producer.compression).toBe(CompressionTypes.LZ4);
    await new TopicAdmin(client).ensureTopics([Topics.ResourceChanges]);
    const changes: ResourceChange[] = Array.from({ length: 50 }, (_, i) => ({
      eventId: randomUUID(),
      tenantId: 't-lz4',
      resourceType: 'task',
      resourceId: `r-${i}`,
      action: 'updated',
      occurredAt: new Date().toISOString(),
      initiator: { userId: 'u', fullName: 'L Z', logonAccount: 'lz@example.test' },
      after: { id: `r-${i}`, name: 'é'.repeat(i * 40), description: randomUUID().repeat(20) },
      changedFields: ['name'],
    }));
    await producer.send(ResourceChangeContract, Topics.ResourceChanges, changes);

    const received: KafkaMessage[] = [];
    const consumer = createKafka({ clientId: 'lz4-reader', brokers: kafkaBrokers() }, { logLevel: logLevel.NOTHING }).consumer({ groupId: `${namespace}.reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: client.topic(Topics.ResourceChanges), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
    try {
      await waitFor(() => received.length >= changes.length, { timeoutMs: 60_000, message: 'the 50 changes read back' });
    } finally {
      await consumer.disconnect();
    }
    const read = received.map((m) => JSON.parse(String(m.value)) as ResourceChange).sort((a, b) => Number(a.resourceId.slice(2)) - Number(b.resourceId.slice(2)));
    expect(read).toEqual(changes);
  });
});
