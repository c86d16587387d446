import { Module } from '@nestjs/common';
import { DispatcherService } from './dispatcher.service';

/**
 * The delivery dispatcher's behaviour as one Nest module. Needs, in the importing app:
 * `HeraldConfigModule` (with DispatchEnv, SecretsEnv, SsrfEnv, KafkaEnv), `ObservabilityModule`,
 * `KafkaModule` and `WebhookSendingModule`.
 */
@Module({
  providers: [DispatcherService],
  exports: [DispatcherService],
})
export class DispatchModule {}
