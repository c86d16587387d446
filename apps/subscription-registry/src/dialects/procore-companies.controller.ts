import { Controller, Get, UseFilters, UseGuards } from '@nestjs/common';
import { ProcoreDocs } from '@herald/registry/openapi';
import { BearerApiKeyGuard, CurrentPrincipal, type AuthenticatedPrincipal } from '@herald/registry/principals';
import { ProcoreErrorFilter, ProcoreHooks } from '@herald/registry/dialect-procore';

/**
 * Procore's List Companies (`GET /rest/v1.0/companies`): how a client learns the `company_id`
 * its tenant has in this dialect (a stable integer derived from the tenant id).
 */
@ProcoreDocs.tags()
@Controller('rest/v1.0/companies')
@UseGuards(BearerApiKeyGuard)
@UseFilters(ProcoreErrorFilter)
export class ProcoreCompaniesController {
  constructor(private readonly hooks: ProcoreHooks) {}

  @ProcoreDocs.companies()
  @Get()
  list(@CurrentPrincipal() p: AuthenticatedPrincipal) {
    return this.hooks.companies(p);
  }
}
