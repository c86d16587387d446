import { Module } from '@nestjs/common';
import type { ApiErrorFilter } from '@herald/platform/http';
import { PpmErrorFilter, PpmExpressDialectModule } from '@herald/registry/dialect-ppm-express';
import { ProcoreDialectModule, ProcoreErrorFilter } from '@herald/registry/dialect-procore';
import { ProProfsDialectModule, ProProfsErrorFilter } from '@herald/registry/dialect-proprofs';
import { WorksectionDialectModule, WorksectionErrorFilter } from '@herald/registry/dialect-worksection';
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

/** The dialects' paths, each with its error filter: for the refusals that come before a route is picked (body too large, bad JSON). */
const DIALECT_PATHS: readonly [RegExp, ApiErrorFilter][] = [
  [/^\/v2\/hooks(\/|$)/, new ProProfsErrorFilter()],
  [/^\/api\/(admin\/v2|oauth2|settings\/webhooks)(\/|$)/, new WorksectionErrorFilter()],
  [/^\/rest\/v[12]\.0\//, new ProcoreErrorFilter()],
  [/^\/@[^/]+\/[^/]+\/Webhooks(\/|$)/i, new PpmErrorFilter()],
];

export const dialectErrorFilterOf = (path: string): ApiErrorFilter | undefined => DIALECT_PATHS.find(([p]) => p.test(path))?.[1];
