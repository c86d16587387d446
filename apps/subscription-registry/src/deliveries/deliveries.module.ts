import { Module } from '@nestjs/common';

/** Delivery log, hook health and the deliveries endpoints (filled in as they land). */
@Module({})
export class DeliveriesModule {}
