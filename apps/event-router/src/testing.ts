import type { INestApplication } from '@nestjs/common';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { topicName } from '@herald/contracts';
import { deleteKafkaNamespace } from '@herald/platform/testing';
import { ROUTER_TOPICS } from './resource-change.consumer';

/** Every topic the router reads or writes, in the spec's namespace, with their leaders elected; `configs`: with each topic's own. */
export async function createRouterTopics(kafka: Kafka, namespace: string, opts: { partitions: number; configs?: boolean }): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: ROUTER_TOPICS.map((s) => ({
        topic: topicName(s, namespace),
        numPartitions: opts.partitions,
        ...(opts.configs ? { configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })) } : {}),
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** Stops what a router spec started, in order: the app, its collectors, its producer; then deletes the namespace. */
export async function closeRouterSpec(namespace: string, started: { app?: INestApplication; consumers: Consumer[]; producer?: Producer }): Promise<void> {
  await started.app?.close();
  await Promise.all(started.consumers.map((c) => c.disconnect()));
  await started.producer?.disconnect();
  await deleteKafkaNamespace(namespace);
}
