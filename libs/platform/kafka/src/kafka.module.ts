import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnModuleInit,
  Optional,
} from '@nestjs/common';
import { HERALD_CONFIG, SERVICE_NAME } from '@herald/platform/config';
import { ReadinessRegistry } from '@herald/platform/observability';
import { KafkaClient, KafkaSetupError, kafkaSettings, type KafkaConfigShape } from './kafka-client';
import { TopicAdmin } from './topic-admin';
import { HeraldProducer } from './producer';
import { DeadLetterWriter } from './dead-letter';
import { ConsumerDeps } from './consumer-deps';

/**
 * Start-up check, before any consumer or producer of the service connects (global modules'
 * init hooks run first): settings that can never work — a wrong SASL password, a CA that does
 * not sign the broker, TLS against a plaintext port — stop the process with ONE line on stderr
 * and exit code 78 (EX_CONFIG), like a bad variable does. Brokers that are merely down do not:
 * the service starts and its readiness reports Kafka.
 */
@Injectable()
class KafkaStartupCheck implements OnModuleInit {
  constructor(
    private readonly client: KafkaClient,
    @Optional() @Inject(SERVICE_NAME) private readonly service?: string,
  ) {}

  async onModuleInit(): Promise<void> {
    try {
      await this.client.verifyConnection();
    } catch (err) {
      if (!(err instanceof KafkaSetupError)) throw err;
      process.stderr.write(`[${this.service ?? this.client.settings.clientId}] ${err.message}\n`);
      process.exit(78);
    }
  }
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
            new KafkaClient(kafkaSettings(opts.clientId, config)),
        },
        KafkaStartupCheck,
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
