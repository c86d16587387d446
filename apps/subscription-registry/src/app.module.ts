import { DynamicModule, Module } from '@nestjs/common';
import { HERALD_CONFIG } from '@herald/platform/config';
import { DatabaseModule } from '@herald/platform/db';
import { serviceRootModule } from '@herald/platform/kafka';
import { WebhookSendingModule } from '@herald/delivery/sending';
import { PrincipalsModule, RegistryTopicsBootstrap } from '@herald/registry/principals';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { EndpointProbe, SsrfUrlGuard, SubscriptionLimits, SubscriptionsModule, TemplateHooksConsumer, UrlGuard, WebhookSenderProbe, subscriptionLimitsOf } from '@herald/registry/subscriptions';
import { RegistryConfigSchema, SERVICE_NAME, type RegistryConfig } from './config';
import { registryDataSource } from './database';
import { DeliveriesModule } from './deliveries/deliveries.module';
import { DialectsModule } from './dialects/dialects.module';
import { CatalogController } from './http/catalog.controller';
import { MeController } from './http/me.controller';
import { WebhooksController } from './http/webhooks.controller';

/**
 * The subscription registry: the native webhook API over the subscription core, the principals
 * view behind every API's authentication, template hook copies, and (DeliveriesModule) hook
 * health and the delivery log.
 */
@Module({})
export class AppModule {
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return serviceRootModule(AppModule, SERVICE_NAME, RegistryConfigSchema, env, {
      database: DatabaseModule.forRoot((c: RegistryConfig) => registryDataSource(c.DATABASE_URL, { poolSize: c.DATABASE_POOL_SIZE })),
      imports: [
        WebhookSendingModule.forRoot({ connectionsPerOrigin: 4 }),
        PrincipalsModule,
        SubscriptionsModule.forRoot({
          republishIntervalMs: Number(env['HERALD_SUBSCRIPTIONS_REPUBLISH_MS'] ?? 3_000),
          providers: [
            {
              provide: SubscriptionSecrets,
              inject: [HERALD_CONFIG],
              useFactory: (c: RegistryConfig) => SubscriptionSecrets.fromSpec(c.HERALD_SECRETS_KEY),
            },
            { provide: SubscriptionLimits, inject: [HERALD_CONFIG], useFactory: subscriptionLimitsOf },
            { provide: EndpointProbe, useClass: WebhookSenderProbe },
            { provide: UrlGuard, useClass: SsrfUrlGuard },
          ],
        }),
        DeliveriesModule,
        DialectsModule,
      ],
      // MeController first: /v1/webhooks/me must not be taken for a hook id by GET /v1/webhooks/:id.
      controllers: [MeController, WebhooksController, CatalogController],
      providers: [RegistryTopicsBootstrap, TemplateHooksConsumer],
    });
  }
}
