import { Controller, Get, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { companyIdOf } from '@herald/dialects/procore';
import { BearerApiKeyGuard, CurrentPrincipal, PrincipalDirectory, type AuthenticatedPrincipal } from '@herald/registry/principals';
import { ProcoreErrorFilter } from './procore-errors';

/**
 * Procore's List Companies (`GET /rest/v1.0/companies`): how a client learns the `company_id`
 * its tenant has in this dialect (a stable integer derived from the tenant id).
 */
@ApiExcludeController()
@Controller('rest/v1.0/companies')
@UseGuards(BearerApiKeyGuard)
@UseFilters(ProcoreErrorFilter)
export class ProcoreCompaniesController {
  constructor(private readonly directory: PrincipalDirectory) {}

  @Get()
  list(@CurrentPrincipal() p: AuthenticatedPrincipal) {
    const name = this.directory.tenant(p.tenantId)?.name || p.tenantSlug;
    return [{ id: companyIdOf(p.tenantId), name, is_active: true }];
  }
}
