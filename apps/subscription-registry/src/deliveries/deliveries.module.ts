import { Module } from '@nestjs/common';
import { DeliveriesController } from './deliveries.controller';
import { DeliveryLogModule } from '@herald/registry/delivery-log';

/**
 * Hook health, the 28-day delivery log and its endpoints (`/v1/webhooks/{id}/deliveries`,
 * `/v1/deliveries/{id}`, redeliver, replay, DLQ redrive). Exports the log's use cases for the
 * dialects (Procore's deliveries API).
 */
@Module({
  imports: [DeliveryLogModule.forRoot()],
  controllers: [DeliveriesController],
  exports: [DeliveryLogModule],
})
export class DeliveriesModule {}
