import { DynamicModule, Module, type Provider } from '@nestjs/common';
import { KafkaSubscriptionSnapshotSink, SubscriptionSnapshotSink } from './publishing/snapshot-sink';
import { SnapshotPublisher } from './publishing/snapshot-publisher';
import { REPUBLISH_INTERVAL_MS, SnapshotRepublisher } from './publishing/snapshot-republisher';
import { ApplyHealthTransition } from './use-cases/apply-health-transition';
import { CopyTemplateHooks } from './use-cases/copy-template-hooks';
import { CreateSubscription } from './use-cases/create-subscription';
import { DeleteSubscription } from './use-cases/delete-subscription';
import { DisableSubscription } from './use-cases/disable-subscription';
import { EnableSubscription } from './use-cases/enable-subscription';
import { DialectSubscriptions } from './use-cases/dialect-subscriptions';
import { GetSubscription } from './use-cases/get-subscription';
import { ListSubscriptions } from './use-cases/list-subscriptions';
import { RotateSigningSecret } from './use-cases/rotate-signing-secret';
import { TestSubscription } from './use-cases/test-subscription';
import { UpdateSubscription } from './use-cases/update-subscription';

export const SUBSCRIPTION_USE_CASES = [
  CreateSubscription,
  UpdateSubscription,
  DeleteSubscription,
  EnableSubscription,
  DisableSubscription,
  RotateSigningSecret,
  TestSubscription,
  ListSubscriptions,
  GetSubscription,
  DialectSubscriptions,
  ApplyHealthTransition,
  CopyTemplateHooks,
];

export interface SubscriptionsModuleOptions {
  /**
   * Must provide `SubscriptionSecrets`, `EndpointProbe` and `UrlGuard` (the app binds them to its
   * config and the shared sending lib). A `DataSource` (DatabaseModule) and `HeraldProducer`
   * (KafkaModule) must be available globally.
   */
  providers: Provider[];
  republishIntervalMs?: number;
}

/**
 * The subscription core: every use case, the snapshot publisher and its republisher. Global, so
 * the native controllers and every dialect's controllers inject the same use cases.
 */
@Module({})
export class SubscriptionsModule {
  static forRoot(opts: SubscriptionsModuleOptions): DynamicModule {
    return {
      module: SubscriptionsModule,
      global: true,
      providers: [
        ...opts.providers,
        { provide: REPUBLISH_INTERVAL_MS, useValue: opts.republishIntervalMs ?? 3_000 },
        { provide: SubscriptionSnapshotSink, useClass: KafkaSubscriptionSnapshotSink },
        SnapshotPublisher,
        SnapshotRepublisher,
        ...SUBSCRIPTION_USE_CASES,
      ],
      exports: [...opts.providers, SnapshotPublisher, SnapshotRepublisher, ...SUBSCRIPTION_USE_CASES],
    };
  }
}
