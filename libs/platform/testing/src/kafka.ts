import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { topicName, type TopicSpec } from '@herald/contracts';
import { kafkaBrokers } from './env';
import { kafkaNamespaceName } from './names';

/**
 * A namespace for one test file: `t-<label>-<random>`. Give it to the code under test as
 * HERALD_KAFKA_NAMESPACE (the contracts prefix every topic and consumer group with
 * `<namespace>.`), so tests in parallel never share a topic or a group.
 */
export function uniqueKafkaNamespace(label = 'test'): string {
  return kafkaNamespaceName(label);
}

/**
 * Every message of a topic in `namespace`, from the beginning, as it arrives (the array grows):
 * a consumer in a group of its own, added to `consumers` for the caller to disconnect.
 */
export async function collectTopic(kafka: Kafka, namespace: string, spec: TopicSpec, consumers: Consumer[]): Promise<KafkaMessage[]> {
  const messages: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: `${namespace}.collect.${randomUUID()}` });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic: topicName(spec, namespace), fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
  return messages;
}

export interface DeleteKafkaNamespaceOptions {
  /** Default: KAFKA_BROKERS. */
  brokers?: string[];
  /** Allow a namespace that does not look like one of ours (`t-…`). */
  force?: boolean;
}

/**
 * Deletes the topics `<namespace>.*` and the (empty) consumer groups `<namespace>.*`.
 * Returns what it deleted. Refuses namespaces not made by uniqueKafkaNamespace unless `force`.
 */
export async function deleteKafkaNamespace(
  namespace: string,
  options: DeleteKafkaNamespaceOptions = {},
): Promise<{ topics: string[]; groups: string[] }> {
  if (!/^[a-zA-Z0-9._-]{1,60}$/.test(namespace)) throw new Error(`deleteKafkaNamespace: "${namespace}" is not a namespace`);
  if (!options.force && !namespace.startsWith('t-')) {
    throw new Error(`deleteKafkaNamespace: "${namespace}" was not made by uniqueKafkaNamespace (pass { force: true } to delete it anyway)`);
  }
  const prefix = `${namespace}.`;
  const kafka = new Kafka({ clientId: 'herald-test-harness', brokers: options.brokers ?? kafkaBrokers(), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    const deleted: string[] = [];
    if (groups.length) {
      // A group with members still connected cannot be deleted: leave it (it expires).
      const results = await admin.deleteGroups(groups).catch((err: { groups?: { groupId: string; errorCode: number }[] }) => err.groups ?? []);
      for (const r of results) if (r.errorCode === 0) deleted.push(r.groupId);
    }
    return { topics, groups: deleted };
  } finally {
    await admin.disconnect();
  }
}
