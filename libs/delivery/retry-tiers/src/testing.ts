import type { Kafka, Message } from 'kafkajs';
import { topicName, type TopicSpec } from '@herald/contracts';
import { createTopicsWithLeaders } from '@herald/platform/kafka';

/** Creates each topic in `namespace` (one partition, its leader elected) and writes its messages, for a consumer under test to read. */
export async function seedTopics(kafka: Kafka, namespace: string, topics: { spec: TopicSpec; messages: Message[] }[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsWithLeaders(admin, topics.map((t) => ({ topic: topicName(t.spec, namespace), numPartitions: 1 })));
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (const t of topics) await producer.send({ topic: topicName(t.spec, namespace), messages: t.messages });
  } finally {
    await producer.disconnect();
  }
}
