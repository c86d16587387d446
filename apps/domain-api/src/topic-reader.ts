import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import {
  Headers,
  PrincipalSnapshotSchema,
  ResourceChangeSchema,
  Topics,
  topicName,
  type PrincipalSnapshot,
  type ResourceChange,
  type TopicSpec,
} from '@herald/contracts';

export interface TopicMessage<T> {
  key: string;
  value: T;
  raw: string;
  schemaHeader: string | undefined;
  headers: Record<string, string>;
}
export type PrincipalMessage = TopicMessage<PrincipalSnapshot>;

/**
 * Reads a topic of a namespace from the beginning with a plain kafkajs consumer (int tests)
 * until `done` holds for what was read, or the timeout.
 */
export async function readTopic<T>(
  namespace: string,
  spec: TopicSpec,
  parse: (raw: string) => T,
  done: (messages: TopicMessage<T>[]) => boolean,
  timeoutMs = 30_000,
): Promise<TopicMessage<T>[]> {
  const kafka = new Kafka({
    clientId: 'topic-reader',
    brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','),
    logLevel: logLevel.NOTHING,
  });
  const topic = topicName(spec, namespace);
  await waitForTopic(kafka, topic, timeoutMs);
  const consumer = kafka.consumer({ groupId: `${namespace}.reader-${randomUUID()}` });
  const messages: TopicMessage<T>[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${topic}: condition not met within ${timeoutMs} ms after ${messages.length} messages`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          const raw = message.value?.toString('utf8') ?? '';
          const headers = Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v ?? '')]),
          );
          messages.push({
            key: message.key?.toString('utf8') ?? '',
            value: parse(raw),
            raw,
            schemaHeader: headers[Headers.Schema],
            headers,
          });
          if (done(messages)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

export function readPrincipals(
  namespace: string,
  done: (messages: PrincipalMessage[]) => boolean,
  timeoutMs = 30_000,
): Promise<PrincipalMessage[]> {
  return readTopic(namespace, Topics.Principals, (raw) => PrincipalSnapshotSchema.parse(JSON.parse(raw)), done, timeoutMs);
}

export function readResourceChanges(
  namespace: string,
  done: (messages: TopicMessage<ResourceChange>[]) => boolean,
  timeoutMs = 30_000,
): Promise<TopicMessage<ResourceChange>[]> {
  return readTopic(namespace, Topics.ResourceChanges, (raw) => ResourceChangeSchema.parse(JSON.parse(raw)), done, timeoutMs);
}

/** The service creates the topic in the background at start: wait until it (and its leaders) exist. */
async function waitForTopic(kafka: Kafka, topic: string, timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const metadata = await admin.fetchTopicMetadata({ topics: [] }).catch(() => ({ topics: [] }));
      const found = metadata.topics.find((t) => t.name === topic);
      if (found && found.partitions.length && found.partitions.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline) throw new Error(`topic ${topic} did not appear within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}
