import { DynamicModule, Module } from '@nestjs/common';
import { HERALD_CONFIG, loadConfigOrExit } from '@herald/platform/config';
import { DELIVERY_LOG_SETTINGS, DeliveryLogEnv, deliveryLogSettings, type DeliveryLogSettings } from '../settings';
import { DeliveryLogRepository } from '../delivery-log.repository';
import { DeliveryResender } from '../resend/delivery-resender';
import { DeliveryStatsReader } from '../stats/delivery-stats';
import { GetDelivery } from '../use-cases/get-delivery';
import { HookDirectory } from '../hook-directory';
import { MaintainDeliveryLogPartitions } from '../partitions/maintain-delivery-log-partitions';
import { RecordDeliveryOutcomes } from '../record-delivery-outcomes';
import { RESEND_JOB_SETTINGS, ResendJobEnv, resendJobSettings, type ResendJobSettings } from '../jobs/resend-job.types';
import { RedeliverDelivery } from '../use-cases/redeliver-delivery';
import { ResendJobWorker } from '../jobs/resend-job-worker';
import { ResendJobsRepository } from '../jobs/resend-jobs.repository';
import { RunResendJob } from '../jobs/run-resend-job';
import { SearchDeliveries } from '../use-cases/search-deliveries';
import { StartResendJob } from '../jobs/start-resend-job';
import { TopicRangeReader } from '../resend/dlq-reader';
import { ApplyOutcomesToHookHealth, HookStatusGauge } from '@herald/registry/hook-health';
import { OperationalEventSink, OperationalEventsRelay } from '@herald/registry/subscriptions';
import { DeliveryOutcomesConsumer } from './delivery-outcomes.consumer';
import { QueuedDeliveriesConsumer } from './queued-deliveries.consumer';
import { PartitionMaintenanceJob } from './partition-maintenance.job';
import { OperationalEventsToOperationsHooks } from './operational-events.sink';
import { SubscriptionHookDirectory } from './subscription-hook-directory';

/** The use cases the native API and the dialects (Procore's deliveries) call. */
export const DELIVERY_LOG_USE_CASES = [
  SearchDeliveries,
  GetDelivery,
  RedeliverDelivery,
  StartResendJob,
  ResendJobsRepository,
];

export interface DeliveryLogModuleOptions {
  /** Defaults: read from the environment (`HERALD_DELIVERY_LOG_*`), validated at start-up. */
  settings?: DeliveryLogSettings;
  /** Defaults: read from the environment (`HERALD_RESEND_*`), validated at start-up. */
  resendJobs?: Partial<ResendJobSettings>;
}

/**
 * The delivery log and hook health without HTTP: the outcomes and queued-deliveries consumers, the partition job, the
 * query and re-send use cases and the `herald_hooks` gauge. Needs the app's DataSource,
 * KafkaModule, ObservabilityModule and SubscriptionsModule (ApplyHealthTransition).
 */
@Module({})
export class DeliveryLogModule {
  static forRoot(opts: DeliveryLogModuleOptions = {}): DynamicModule {
    return {
      module: DeliveryLogModule,
      // Global: the dialect controllers (Procore's deliveries API) inject the same use cases.
      global: true,
      providers: [
        {
          provide: DELIVERY_LOG_SETTINGS,
          inject: [HERALD_CONFIG],
          // The app's config when it carries DeliveryLogEnv's fields, else the process environment;
          // either way validated once at start-up (a bad value stops the process).
          useFactory: (config: Record<string, unknown>) =>
            opts.settings ??
            deliveryLogSettings(
              loadConfigOrExit(
                'subscription-registry',
                DeliveryLogEnv,
                'HERALD_DELIVERY_LOG_RETENTION_DAYS' in (config ?? {})
                  ? (config as NodeJS.ProcessEnv)
                  : process.env,
              ),
            ),
        },
        {
          provide: RESEND_JOB_SETTINGS,
          useFactory: (): ResendJobSettings => ({
            ...resendJobSettings(loadConfigOrExit('subscription-registry', ResendJobEnv, process.env)),
            ...opts.resendJobs,
          }),
        },
        { provide: HookDirectory, useClass: SubscriptionHookDirectory },
        RunResendJob,
        ResendJobWorker,
        DeliveryStatsReader,
        { provide: OperationalEventSink, useClass: OperationalEventsToOperationsHooks },
        OperationalEventsRelay,
        MaintainDeliveryLogPartitions,
        RecordDeliveryOutcomes,
        DeliveryLogRepository,
        DeliveryResender,
        TopicRangeReader,
        ApplyOutcomesToHookHealth,
        HookStatusGauge,
        DeliveryOutcomesConsumer,
        QueuedDeliveriesConsumer,
        PartitionMaintenanceJob,
        ...DELIVERY_LOG_USE_CASES,
      ],
      exports: [
        DELIVERY_LOG_SETTINGS,
        RESEND_JOB_SETTINGS,
        DeliveryStatsReader,
        OperationalEventsRelay,
        HookDirectory,
        MaintainDeliveryLogPartitions,
        RecordDeliveryOutcomes,
        ...DELIVERY_LOG_USE_CASES,
      ],
    };
  }
}
