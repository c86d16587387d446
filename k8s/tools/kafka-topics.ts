/**
 * Strimzi `KafkaTopic` resources for every topic of the contracts lib, with the same partition
 * counts and configs. `k8s/base/kafka-topics/topics.yaml` is generated from here
 * (`node -r @swc-node/register k8s/tools/kafka-topics.ts`) and a test fails when the file and
 * the contracts disagree.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ALL_TOPICS } from '@herald/contracts';
import type { TopicSpec } from '@herald/contracts';

/** The Strimzi Kafka cluster the Topic Operator manages these topics in (overlays may patch the label). */
export const STRIMZI_CLUSTER = 'herald-kafka';
/** Strimzi's v1 API (Strimzi 0.49 and later; v1beta2 is deprecated). */
export const STRIMZI_API_VERSION = 'kafka.strimzi.io/v1';
/** Replication in the base (production-like); the dev overlay patches it to 1. */
export const BASE_REPLICAS = 3;

export interface KafkaTopicResource {
  apiVersion: typeof STRIMZI_API_VERSION;
  kind: 'KafkaTopic';
  metadata: { name: string; labels: Record<string, string> };
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, string> };
}

export function kafkaTopicResource(spec: TopicSpec): KafkaTopicResource {
  return {
    apiVersion: STRIMZI_API_VERSION,
    kind: 'KafkaTopic',
    metadata: { name: spec.name, labels: { 'strimzi.io/cluster': STRIMZI_CLUSTER } },
    spec: {
      topicName: spec.name,
      partitions: spec.partitions,
      replicas: BASE_REPLICAS,
      config: { ...spec.configs },
    },
  };
}

export function kafkaTopicsYaml(): string {
  const header = [
    '# GENERATED from libs/contracts/src/topics.ts; do not edit by hand. Regenerate with',
    '#   node -r @swc-node/register k8s/tools/kafka-topics.ts',
    '# Strimzi KafkaTopic resources: same names, partitions and configs as the contracts lib.',
  ].join('\n');
  const docs = ALL_TOPICS.map(
    (spec) =>
      `# key: ${spec.keyDoc}\n${stringify(kafkaTopicResource(spec), { singleQuote: true }).trimEnd()}`,
  );
  return `${header}\n${docs.join('\n---\n')}\n`;
}

if (require.main === module) {
  const target = join(__dirname, '..', 'base', 'kafka-topics', 'topics.yaml');
  writeFileSync(target, kafkaTopicsYaml());
  console.log(`wrote ${ALL_TOPICS.length} KafkaTopic resources to ${target}`);
}
