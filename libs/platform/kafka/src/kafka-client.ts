import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import { groupId, topicName, type TopicSpec } from '@herald/contracts';

export interface KafkaSettings {
  clientId: string;
  brokers: string[];
  namespace?: string;
  partitionsOverride?: number;
}

/**
 * The service's one kafkajs client, plus the namespace every topic and group name goes through.
 * kafkajs' own logs go to the service's logger at warn and above.
 */
@Injectable()
export class KafkaClient implements OnApplicationShutdown {
  readonly kafka: Kafka;
  private adminClient?: Admin;
  private readonly logger = new Logger('Kafka');

  constructor(readonly settings: KafkaSettings) {
    process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
    this.kafka = new Kafka({
      clientId: settings.clientId,
      brokers: settings.brokers,
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.log(entry),
    });
  }

  get namespace(): string | undefined {
    return this.settings.namespace;
  }

  topic(spec: TopicSpec | string): string {
    return topicName(spec, this.settings.namespace);
  }

  group(id: string): string {
    return groupId(id, this.settings.namespace);
  }

  /** A long-lived admin client for health checks and lag metrics. */
  async admin(): Promise<Admin> {
    if (!this.adminClient) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.adminClient = admin;
    }
    return this.adminClient;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.adminClient?.disconnect().catch(() => undefined);
  }

  private log({ level, log, namespace }: LogEntry): void {
    const { message, ...extra } = log;
    // The coordinator's "loading" and rebalance chatter is expected right after a broker starts.
    const line = `${namespace}: ${message} ${JSON.stringify(extra)}`;
    if (level <= logLevel.ERROR) this.logger.error(line);
    else this.logger.warn(line);
  }
}
