import {
  BeforeApplicationShutdown,
  DynamicModule,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { InjectConfig, InjectServiceName } from '@herald/platform/config';
import { HeraldProducer, TopicAdmin } from '@herald/platform/kafka';
import { MetricsRegistry, ReadinessRegistry } from '@herald/platform/observability';
import { OutboxBacklogSampler } from './backlog-sampler';
import { LogicalReplicationRelay } from './logical-replication-relay';
import type { OutboxConfig } from './outbox-env';
import { KafkaOutboxPublisher } from './outbox-publisher';
import { OutboxWriter } from './outbox-writer';
import { PollingRelay } from './polling-relay';
import type { OutboxRelay } from './relay-base';

/** OutboxEnv's fields are optional here so that an app that forgot the fragment still gets the defaults. */
type OutboxModuleConfig = Partial<OutboxConfig> & { DATABASE_URL: string };

/** Starts the configured relay when the app has bootstrapped and stops it before shutdown. */
@Injectable()
export class OutboxRelayRunner implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  readonly relay?: OutboxRelay;
  private readonly sampler: OutboxBacklogSampler;

  constructor(
    @InjectConfig() config: OutboxModuleConfig,
    @InjectServiceName() service: string,
    producer: HeraldProducer,
    topicAdmin: TopicAdmin,
    metrics: MetricsRegistry,
    private readonly readiness: ReadinessRegistry,
  ) {
    const common = {
      databaseUrl: config.DATABASE_URL,
      publisher: new KafkaOutboxPublisher(producer, topicAdmin, { producerName: service }),
      metrics,
      logger: this.logger,
      batchSize: config.HERALD_OUTBOX_BATCH_SIZE,
      maxBatchWaitMs: config.HERALD_OUTBOX_BATCH_WAIT_MS,
      applicationName: `${service}-outbox-relay`,
    };
    const mode = config.HERALD_OUTBOX_RELAY ?? 'logical';
    if (mode === 'logical') {
      this.relay = new LogicalReplicationRelay({ ...common, slotName: config.HERALD_OUTBOX_SLOT });
    } else if (mode === 'polling') {
      this.relay = new PollingRelay(common);
    }
    this.sampler = new OutboxBacklogSampler(config.DATABASE_URL, metrics, 5_000, this.logger);
  }

  onModuleInit(): void {
    if (this.relay) this.readiness.register(this.relay.readinessCheck());
  }

  onApplicationBootstrap(): void {
    if (!this.relay) this.logger.warn('outbox relay is off (HERALD_OUTBOX_RELAY=off): changes stay in the outbox');
    this.relay?.start();
    this.sampler.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Before the producer disconnects: the batch in flight is finished and confirmed.
    await this.relay?.stop();
    await this.sampler.stop();
  }
}

/**
 * The outbox for the domain-api: `OutboxWriter` for the use cases, and the relay that publishes
 * the outbox to Kafka. Needs HeraldConfigModule (DatabaseEnv + OutboxEnv), KafkaModule and
 * ObservabilityModule in the app.
 */
@Module({})
export class OutboxModule {
  static forRoot(): DynamicModule {
    return {
      module: OutboxModule,
      providers: [OutboxWriter, OutboxRelayRunner],
      exports: [OutboxWriter],
    };
  }
}
