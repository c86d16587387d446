import { Module } from '@nestjs/common';
import { PpmExpressDialectModule } from '@herald/registry/dialect-ppm-express';
import { ProcoreDialectModule } from '@herald/registry/dialect-procore';
import { ProProfsDialectModule } from '@herald/registry/dialect-proprofs';
import { WorksectionDialectModule } from '@herald/registry/dialect-worksection';
import { PpmWebhooksController } from './ppm-express.controller';
import { ProcoreCompaniesController } from './procore-companies.controller';
import { ProcoreV1Controller } from './procore-v1.controller';
import { ProcoreV2Controller } from './procore-v2.controller';
import { ProProfsHooksController } from './proprofs.controller';
import { WorksectionController } from './worksection.controller';

/**
 * The four dialects' HTTP APIs: each controller maps its routes to its dialect's use cases
 * (`libs/registry/dialect-<name>`) and back; docs/dialects/<name>.md.
 */
@Module({
  imports: [ProcoreDialectModule, WorksectionDialectModule, ProProfsDialectModule, PpmExpressDialectModule],
  controllers: [ProcoreV1Controller, ProcoreV2Controller, ProcoreCompaniesController, WorksectionController, ProProfsHooksController, PpmWebhooksController],
})
export class DialectsModule {}
