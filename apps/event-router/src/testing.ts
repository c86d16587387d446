import type { INestApplication, LogLevel } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { Kafka, logLevel, type Consumer, type KafkaMessage, type Producer } from 'kafkajs';
import { topicName, type TopicSpec } from '@herald/contracts';
import { createTopicsWithLeaders } from '@herald/platform/kafka';
import { collectTopic, deleteKafkaNamespace, kafkaBrokers, uniqueKafkaNamespace } from '@herald/platform/testing';
import { ROUTER_TOPICS } from './resource-change.consumer';

/**
 * What a router spec runs against the real broker, in a namespace of its own: every topic the
 * router reads or writes (`open`), an idempotent producer, collectors, and the router in-process
 * (`startRouter`). `close` stops them in order — the app, the collectors, the producer — and
 * deletes the namespace.
 */
export class RouterSpec {
  readonly namespace: string;
  readonly kafka: Kafka;
  producer!: Producer;
  app?: INestApplication;
  private readonly consumers: Consumer[] = [];

  constructor(label: string) {
    this.namespace = uniqueKafkaNamespace(label);
    this.kafka = new Kafka({ clientId: `${label}-int`, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  }

  /** The router's topics with their leaders elected (`configs`: with each topic's own), and the producer. */
  async open(opts: { partitions: number; configs?: boolean }): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await createTopicsWithLeaders(
        admin,
        ROUTER_TOPICS.map((s) => ({
          topic: topicName(s, this.namespace),
          numPartitions: opts.partitions,
          ...(opts.configs ? { configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })) } : {}),
        })),
      );
    } finally {
      await admin.disconnect();
    }
    this.producer = this.kafka.producer({ idempotent: true });
    await this.producer.connect();
  }

  /** Every message of a topic from the beginning, as it arrives. */
  collect(spec: TopicSpec): Promise<KafkaMessage[]> {
    return collectTopic(this.kafka, this.namespace, spec, this.consumers);
  }

  /** The router's AppModule on this namespace with `partitions` per topic and `env` on top, listening on a free port. */
  async startRouter(opts: {
    partitions: number;
    env?: Record<string, string>;
    logger?: LogLevel[];
    override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  }): Promise<INestApplication> {
    Object.assign(process.env, {
      KAFKA_BROKERS: kafkaBrokers().join(','),
      HERALD_KAFKA_NAMESPACE: this.namespace,
      HERALD_KAFKA_PARTITIONS_OVERRIDE: String(opts.partitions),
      LOG_LEVEL: 'warn',
      ...opts.env,
    });
    const { AppModule } = await import('./app.module');
    const builder = Test.createTestingModule({ imports: [AppModule] });
    const moduleRef = await (opts.override ? opts.override(builder) : builder).compile();
    this.app = moduleRef.createNestApplication({ logger: opts.logger ?? ['error'] });
    await this.app.listen(0);
    return this.app;
  }

  /** The router's /metrics text. */
  async metrics(): Promise<string> {
    return (await fetch(`${await this.app!.getUrl()}/metrics`)).text();
  }

  async close(): Promise<void> {
    await this.app?.close();
    await Promise.all(this.consumers.map((c) => c.disconnect()));
    await this.producer?.disconnect();
    await deleteKafkaNamespace(this.namespace);
  }
}
