import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Headers, PrincipalSnapshotSchema, Topics, topicName, type PrincipalSnapshot } from '@herald/contracts';

export interface PrincipalMessage {
  key: string;
  value: PrincipalSnapshot;
  raw: string;
  schemaHeader: string | undefined;
}

/**
 * Reads `herald.principals.v1` of a namespace from the beginning with a plain kafkajs consumer
 * (int tests) until `done` holds for what was read, or the timeout.
 */
export async function readPrincipals(
  namespace: string,
  done: (messages: PrincipalMessage[]) => boolean,
  timeoutMs = 30_000,
): Promise<PrincipalMessage[]> {
  const kafka = new Kafka({
    clientId: 'principals-reader',
    brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','),
    logLevel: logLevel.NOTHING,
  });
  const topic = topicName(Topics.Principals, namespace);
  await waitForTopic(kafka, topic, timeoutMs);
  const consumer = kafka.consumer({ groupId: `${namespace}.reader-${randomUUID()}` });
  const messages: PrincipalMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`principals not seen within ${timeoutMs} ms: ${JSON.stringify(messages)}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const raw = message.value?.toString('utf8') ?? '';
          messages.push({
            key: message.key?.toString('utf8') ?? '',
            value: PrincipalSnapshotSchema.parse(JSON.parse(raw)),
            raw,
            schemaHeader: message.headers?.[Headers.Schema]?.toString(),
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
