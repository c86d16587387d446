import { Module } from '@nestjs/common';
import { PpmWebhooksController } from './ppm-webhooks.controller';

/** The PPM Express dialect: its Webhooks API over the subscription core. See docs/dialects/ppm-express.md. */
@Module({ controllers: [PpmWebhooksController] })
export class PpmExpressDialectModule {}
