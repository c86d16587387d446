import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Topics, topicName } from '@herald/contracts';
import { ConsumerDeps, DeadLetterWriter, HeraldProducer, KafkaClient } from '@herald/platform/kafka';
import { MetricsRegistry, ReadinessRegistry } from '@herald/platform/observability';
import { deleteKafkaNamespace, kafkaBrokers, uniqueKafkaNamespace, waitFor } from '@herald/platform/testing';
import { seedTopics } from './testing';
import { TrackedConsumer } from './tracked-consumer';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A crash (SIGKILL) must not make the next owner of a partition redo what was finished: the
// committed offset stops at the lowest unfinished message, and what was finished above it is
// recorded in the commit's metadata and skipped by whoever owns the partition next.
describe('TrackedConsumer after a crash (real broker)', () => {
  const namespace = uniqueKafkaNamespace('tracked');
  const group = 'herald.tracked-consumer-test';
  const kafka = new Kafka({ clientId: 'tracked-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  let child: ChildProcess | undefined;
  let survivor: TrackedConsumer | undefined;
  let survivorClient: KafkaClient | undefined;

  beforeAll(() => seedTopics(kafka, namespace, [{ spec: Topics.Deliveries, messages: Array.from({ length: 20 }, (_, i) => ({ key: 'sub', value: `m${i}` })) }]));

  afterAll(async () => {
    child?.kill('SIGKILL');
    await survivor?.stop();
    await survivorClient?.onApplicationShutdown(); // its admin read the commit metadata
    await deleteKafkaNamespace(namespace);
  });

  it('hands the next owner only what the crashed one had not finished', async () => {
    // The first member finishes every message but offsets 3 and 11, commits (every 250 ms), and is killed.
    child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, '..', 'test', 'crashing-member.ts'), namespace, group], {
      cwd: ROOT,
      env: { ...process.env, HANG_OFFSETS: '3,11' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const finishedByFirst = new Set<string>();
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const m of chunk.matchAll(/finished (\d+)/g)) finishedByFirst.add(m[1]);
    });
    await waitFor(async () => finishedByFirst.size === 18, { timeoutMs: 45_000, message: 'the first member finished 18 of 20' });
    await sleep(1_500); // a few periodic commits
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));

    // The next member of the group gets the partition (after the dead one's session times out).
    const client = (survivorClient = new KafkaClient({ clientId: 'survivor', brokers: kafkaBrokers(), namespace }));
    const deps = new ConsumerDeps(client, new DeadLetterWriter(new HeraldProducer(client)), new ReadinessRegistry(), new MetricsRegistry('survivor'));
    const handed: string[] = [];
    survivor = new TrackedConsumer(deps, { name: 'survivor', topics: [Topics.Deliveries], groupId: group, maxPendingPerPartition: 100, sessionTimeoutMs: 6_000 }, async ({ offset }) => {
      handed.push(offset);
    });
    void survivor.start();
    await waitFor(async () => handed.length >= 2, { timeoutMs: 45_000, message: 'the survivor got the unfinished messages' });
    await sleep(2_000); // anything else it would get comes with them
    expect(handed.sort((a, b) => Number(a) - Number(b))).toEqual(['3', '11']);
    // and it commits past everything: a third owner would get nothing.
    await waitFor(
      async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          const [t] = await admin.fetchOffsets({ groupId: `${namespace}.${group}`, topics: [topicName(Topics.Deliveries, namespace)] });
          return t.partitions[0].offset === '20';
        } finally {
          await admin.disconnect();
        }
      },
      { timeoutMs: 10_000, message: 'the survivor committed offset 20' },
    );
  });
});
