import { Module } from '@nestjs/common';
import { PpmWebhooks } from './ppm-webhooks';

/** The PPM Express dialect's use cases (the subscription core and the principals are global modules of the registry). */
@Module({ providers: [PpmWebhooks], exports: [PpmWebhooks] })
export class PpmExpressDialectModule {}
