import { Topics } from '@herald/contracts';
import { ConsumerDeps, DeadLetterWriter, HeraldProducer, KafkaClient } from '@herald/platform/kafka';
import { MetricsRegistry, ReadinessRegistry } from '@herald/platform/observability';
import { TrackedConsumer } from '../src/tracked-consumer';

/*
 * A TrackedConsumer in a process of its own, for tracked-consumer.int-spec.ts to SIGKILL: it
 * reads `herald.deliveries.v1` of the namespace given in argv, never finishes the offsets listed
 * in HANG_OFFSETS and finishes every other one at once, printing `finished <offset>` for each.
 */
const [namespace, groupId] = process.argv.slice(2);
const hang = new Set((process.env['HANG_OFFSETS'] ?? '').split(',').filter(Boolean));
const client = new KafkaClient({ clientId: 'crashing-member', brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','), namespace });
const deps = new ConsumerDeps(client, new DeadLetterWriter(new HeraldProducer(client)), new ReadinessRegistry(), new MetricsRegistry('crashing-member'));
const consumer = new TrackedConsumer(
  deps,
  { name: 'crashing-member', topics: [Topics.Deliveries], groupId, maxPendingPerPartition: 100, sessionTimeoutMs: 6_000 },
  async ({ offset }) => {
    if (hang.has(offset)) return new Promise<void>(() => undefined);
    process.stdout.write(`finished ${offset}\n`);
  },
);
void consumer.start();
