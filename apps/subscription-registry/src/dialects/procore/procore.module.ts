import { Module } from '@nestjs/common';
import { ProcoreCompaniesController } from './procore-companies.controller';
import { ProcoreHooks } from './procore-hooks.service';
import { ProcoreV1Controller } from './procore-v1.controller';
import { ProcoreV2Controller } from './procore-v2.controller';

/**
 * The Procore dialect: Webhooks API v1.0 and v2.0 over the subscription core and the delivery
 * log (both global modules of the registry). See docs/dialects/procore.md.
 */
@Module({
  controllers: [ProcoreV1Controller, ProcoreV2Controller, ProcoreCompaniesController],
  providers: [ProcoreHooks],
})
export class ProcoreDialectModule {}
