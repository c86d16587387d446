import { Module } from '@nestjs/common';
import { HERALD_CONFIG, HeraldConfigModule } from '@herald/platform/config';
import { KafkaModule } from '@herald/platform/kafka';
import { ObservabilityModule } from '@herald/platform/observability';
import { RouteResourceChange, SubscriptionDirectory } from '@herald/routing/matching';
import { PayloadRendererRegistry, RenderingModule } from '@herald/routing/rendering';
import { RouterConfigSchema, type RouterConfig } from './config';
import { DIALECT_RENDERERS } from './renderers';
import { ResourceChangeConsumer } from './resource-change.consumer';

@Module({
  imports: [
    HeraldConfigModule.forRoot('event-router', RouterConfigSchema),
    ObservabilityModule.forRoot({ service: 'event-router' }),
    KafkaModule.forRoot({ clientId: 'event-router' }),
    RenderingModule.forRoot({ renderers: DIALECT_RENDERERS }),
  ],
  providers: [
    SubscriptionDirectory,
    {
      provide: RouteResourceChange,
      inject: [SubscriptionDirectory, PayloadRendererRegistry, HERALD_CONFIG],
      useFactory: (
        subscriptions: SubscriptionDirectory,
        renderers: PayloadRendererRegistry,
        config: RouterConfig,
      ) =>
        new RouteResourceChange(subscriptions, renderers, {
          publicBaseUrl: config.HERALD_PUBLIC_BASE_URL,
          sizeCap: {
            maxBytes: config.HERALD_ROUTER_MAX_DELIVERY_BYTES,
            // lz4 is measured as uncompressed: an upper bound (lz4 never grows a message by more
            // than the cap's envelope allowance), so nothing over the broker's limit gets through.
            compression: config.HERALD_KAFKA_COMPRESSION === 'gzip' ? 'gzip' : 'none',
          },
        }),
    },
    ResourceChangeConsumer,
  ],
})
export class AppModule {}
