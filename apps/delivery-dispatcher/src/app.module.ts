import { DynamicModule, Module } from '@nestjs/common';
import { serviceRootModule } from '@herald/platform/kafka';
import { WebhookSendingModule } from '@herald/delivery/sending';
import { DispatchModule } from '@herald/delivery/dispatch';
import { DispatcherConfigSchema, SERVICE_NAME, type DispatcherConfig } from './config';

/**
 * The delivery-dispatcher: health and metrics over HTTP, and the Kafka side — herald.deliveries.v1
 * and the retry tiers consumed with kafkajs directly (per-message offset control, see
 * `TrackedConsumer`), herald.subscriptions.v1 materialised in memory.
 */
@Module({})
export class AppModule {
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return serviceRootModule(AppModule, SERVICE_NAME, DispatcherConfigSchema, env, {
      imports: [
        WebhookSendingModule.forRoot((config) => ({ connectionsPerOrigin: (config as DispatcherConfig).HERALD_DISPATCH_CONNECTIONS_PER_ORIGIN })),
        DispatchModule,
      ],
    });
  }
}
