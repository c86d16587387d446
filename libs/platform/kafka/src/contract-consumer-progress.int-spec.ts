import { Kafka, logLevel } from 'kafkajs';
import { ResourceChangeContract, Topics, topicName, type ResourceChange } from '@herald/contracts';
import { MetricsRegistry, ReadinessRegistry } from '@herald/platform/observability';
import { deleteKafkaNamespace, kafkaBrokers, resourceChangeFixture, uniqueKafkaNamespace, waitFor } from '@herald/platform/testing';
import { ConsumerDeps, ContractConsumer, DeadLetterWriter, HeraldProducer, KafkaClient, createTopicsWithLeaders, type ConsumedItem } from './index';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const change = (i: number): ResourceChange => resourceChangeFixture({ resourceId: `r${i}` });

/** Records each handleBatch call; `slow` makes the first call outlast the group's session timeout. */
class SlowConsumer extends ContractConsumer<ResourceChange> {
  protected readonly contract = ResourceChangeContract;
  protected readonly topics = [Topics.ResourceChanges];
  protected override readonly fromBeginning = true;
  readonly calls: string[][] = [];

  constructor(
    deps: ConsumerDeps,
    protected readonly groupId: string,
    private readonly firstCallMs: number,
    private readonly onCall: (n: number) => Promise<void> = async () => undefined,
    options: { sessionTimeoutMs?: number; maxBatchItems?: number; commitEveryBatch?: boolean } = {},
  ) {
    super(deps);
    Object.assign(this, options);
  }

  protected override async handleBatch(items: ConsumedItem<ResourceChange>[]): Promise<void> {
    this.calls.push(items.map((i) => i.value!.resourceId));
    if (this.calls.length === 1) await sleep(this.firstCallMs);
    await this.onCall(this.calls.length);
  }
}

// A consumer-group member that takes long over a batch (a router with a backlog on a loaded
// machine) must neither be evicted from its group meanwhile — its work would be redone by the
// next member, and its commits refused — nor hold all of a big batch's progress uncommitted.
describe('ContractConsumer progress under slow handling (real broker)', () => {
  const namespace = uniqueKafkaNamespace('ccprogress');
  const kafka = new Kafka({ clientId: 'cc-progress-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const consumers: SlowConsumer[] = [];
  const topic = topicName(Topics.ResourceChanges, namespace);

  function deps(): ConsumerDeps {
    const client = new KafkaClient({ clientId: 'cc-progress-test', brokers: kafkaBrokers(), namespace });
    return new ConsumerDeps(client, new DeadLetterWriter(new HeraldProducer(client)), new ReadinessRegistry(), new MetricsRegistry('cc-progress-test'));
  }

  async function produce(from: number, n: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: n }, (_, i) => ({
        key: `k${from + i}`,
        value: JSON.stringify(change(from + i)),
        headers: { 'herald-schema': 'resource-change/1' },
      })),
    });
    await producer.disconnect();
  }

  async function committed(group: string): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [t] = await admin.fetchOffsets({ groupId: `${namespace}.${group}`, topics: [topic] });
      return Number(t.partitions[0]?.offset ?? -1);
    } finally {
      await admin.disconnect();
    }
  }

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 1 }]);
    await admin.disconnect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.onApplicationShutdown()));
    await deleteKafkaNamespace(namespace);
  });

  it('keeps its membership while a batch takes longer than the session timeout: the batch is handled once', async () => {
    await produce(0, 5);
    const c = new SlowConsumer(deps(), 'herald.cc-progress.slow', 10_000, undefined, { sessionTimeoutMs: 6_000 });
    consumers.push(c);
    await c.onApplicationBootstrap();
    await waitFor(async () => (await committed('herald.cc-progress.slow')) === 5, { timeoutMs: 40_000, message: 'the 5 messages committed' });
    await sleep(3_000); // a member evicted during the slow batch would get it again now
    expect(c.calls.flat()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('hands a big batch over in parts of maxBatchItems and commits each part as it is handled', async () => {
    await produce(100, 1_000);
    const group = 'herald.cc-progress.chunks';
    const seenCommits: number[] = [];
    const c = new SlowConsumer(
      deps(),
      group,
      0,
      async (n) => {
        if (n === 5) seenCommits.push(await committed(group));
      },
      { maxBatchItems: 100, commitEveryBatch: true },
    );
    consumers.push(c);
    await c.onApplicationBootstrap();
    await waitFor(async () => (await committed(group)) === 1_005, { timeoutMs: 40_000, message: 'all 1,005 messages committed' });
    expect(Math.max(...c.calls.map((x) => x.length))).toBeLessThanOrEqual(100);
    expect(c.calls.flat()).toHaveLength(1_005);
    // While the fifth part was handled, the four before it were already committed.
    expect(seenCommits).toHaveLength(1);
    expect(seenCommits[0]).toBeGreaterThanOrEqual(400);
  });
});
