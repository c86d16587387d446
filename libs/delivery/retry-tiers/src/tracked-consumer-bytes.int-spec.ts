import { Kafka, logLevel } from 'kafkajs';
import { Topics } from '@herald/contracts';
import { ConsumerDeps, DeadLetterWriter, HeraldProducer, KafkaClient } from '@herald/platform/kafka';
import { MetricsRegistry, ReadinessRegistry } from '@herald/platform/observability';
import { deleteKafkaNamespace, kafkaBrokers, uniqueKafkaNamespace, waitFor } from '@herald/platform/testing';
import { seedTopics } from './testing';
import { TrackedConsumer } from './tracked-consumer';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The count bound alone (maxPendingPerPartition) let a partition hold 1,000 unfinished messages
// whatever their size; the byte bound pauses it once its unfinished keys and values reach
// maxPendingBytesPerPartition, and resumes it at half of it.
describe('TrackedConsumer byte bound per partition (real broker)', () => {
  const namespace = uniqueKafkaNamespace('tracked-bytes');
  const kafka = new Kafka({ clientId: 'tracked-bytes-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  let consumer: TrackedConsumer | undefined;
  let client: KafkaClient | undefined;

  beforeAll(() =>
    seedTopics(kafka, namespace, [{ spec: Topics.Deliveries, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'sub', value: Buffer.alloc(100_000, 97 + i) })) }]),
  );

  afterAll(async () => {
    await consumer?.stop();
    await client?.onApplicationShutdown();
    await deleteKafkaNamespace(namespace);
  });

  it('holds at most the byte bound (plus the message that reached it) and resumes at half of it', async () => {
    client = new KafkaClient({ clientId: 'bytes', brokers: kafkaBrokers(), namespace });
    const deps = new ConsumerDeps(client, new DeadLetterWriter(new HeraldProducer(client)), new ReadinessRegistry(), new MetricsRegistry('bytes'));
    const handed: string[] = [];
    const finishers = new Map<string, () => void>();
    let unfinished = 0;
    let most = 0;
    consumer = new TrackedConsumer(
      deps,
      { name: 'bytes', topics: [Topics.Deliveries], groupId: 'herald.tracked-bytes-test', maxPendingPerPartition: 1_000, maxPendingBytesPerPartition: 250_000, maxWaitMs: 100, sessionTimeoutMs: 6_000 },
      ({ offset }) =>
        new Promise<void>((resolve) => {
          handed.push(offset);
          most = Math.max(most, ++unfinished);
          finishers.set(offset, () => {
            unfinished--;
            resolve();
          });
        }),
    );
    void consumer.start();
    // 3 × 100,003 bytes reach 250,000: paused after the third, however long the first ones take.
    await waitFor(async () => handed.length >= 3, { timeoutMs: 45_000, message: 'the first three messages handed over' });
    await sleep(1_500); // many fetches (100 ms each) while paused
    expect(handed).toEqual(['0', '1', '2']);
    // One finished: 200,006 bytes held, more than half of the bound: still paused.
    finishers.get('0')?.();
    await sleep(1_000);
    expect(handed).toEqual(['0', '1', '2']);
    // Two finished: 100,003 bytes, under half: resumed.
    finishers.get('1')?.();
    await waitFor(async () => handed.length >= 4, { timeoutMs: 10_000, message: 'resumed at half the byte bound' });
    // Finish whatever comes until all ten were handed over: never more than three unfinished at once.
    await waitFor(
      async () => {
        for (const [offset, finish] of finishers) {
          finishers.delete(offset);
          finish();
        }
        return handed.length === 10;
      },
      { timeoutMs: 30_000, message: 'all ten handed over' },
    );
    expect(handed).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(most).toBeLessThanOrEqual(3);
  });
});
