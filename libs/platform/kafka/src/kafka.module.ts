import { DynamicModule, Global, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HERALD_CONFIG } from '@herald/platform/config';
import { ReadinessRegistry } from '@herald/platform/observability';
import { KafkaClient } from './kafka-client';
import { TopicAdmin } from './topic-admin';
import { HeraldProducer } from './producer';
import { DeadLetterWriter } from './dead-letter';
import { ConsumerDeps } from './consumer-deps';

interface KafkaConfigShape {
  KAFKA_BROKERS: string[];
  HERALD_KAFKA_NAMESPACE?: string;
  HERALD_KAFKA_PARTITIONS_OVERRIDE?: number;
}

@Injectable()
class KafkaReadiness implements OnModuleInit {
  constructor(
    private readonly client: KafkaClient,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness.register({
      name: 'kafka',
      check: async () => {
        const admin = await this.client.admin();
        await admin.describeCluster();
      },
    });
  }
}

/** The service's Kafka client, producer, topic admin and consumer plumbing. Needs `KafkaEnv` in the config. */
@Global()
@Module({})
export class KafkaModule {
  static forRoot(opts: { clientId: string }): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        {
          provide: KafkaClient,
          inject: [HERALD_CONFIG],
          useFactory: (config: KafkaConfigShape) =>
            new KafkaClient({
              clientId: opts.clientId,
              brokers: config.KAFKA_BROKERS,
              namespace: config.HERALD_KAFKA_NAMESPACE,
              partitionsOverride: config.HERALD_KAFKA_PARTITIONS_OVERRIDE,
            }),
        },
        TopicAdmin,
        HeraldProducer,
        DeadLetterWriter,
        ConsumerDeps,
        KafkaReadiness,
      ],
      exports: [KafkaClient, TopicAdmin, HeraldProducer, DeadLetterWriter, ConsumerDeps],
    };
  }
}
