import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedPrincipal } from '@herald/domain/tenancy';
import { GetProProfsResource, PROPROFS_KINDS, type ProProfsKind } from '@herald/domain/resources';
import { NotFoundError } from '@herald/domain/tenancy';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import { ApiProblem, AuthenticatedEndpoint } from './api-docs';

/**
 * ProProfs Project's resource URLs (step 3 of its webhook flow): the URL a thin payload's
 * `resource_url` points at, fetched with the subscriber's `key` + `domain` headers.
 */
@ApiTags('ProProfs resource URLs')
@AuthenticatedEndpoint()
@UseGuards(ApiKeyGuard)
@Controller('v2')
export class ProProfsResourcesController {
  constructor(private readonly getResource: GetProProfsResource) {}

  @Get(':kind/:id')
  @ApiOperation({ summary: 'A project, task, subtask, calendar event or client in ProProfs shape' })
  @ApiParam({ name: 'kind', enum: PROPROFS_KINDS })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiOkResponse({ schema: { type: 'object', properties: { data: { type: 'object', additionalProperties: true } } } })
  @ApiProblem(404, "Unknown kind, or no such resource in the caller's tenant")
  get(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('kind') kind: string, @Param('id') id: string) {
    if (!(PROPROFS_KINDS as readonly string[]).includes(kind)) throw new NotFoundError('resource kind', kind);
    return this.getResource.execute({ tenantId: p.tenantId, kind: kind as ProProfsKind, id });
  }
}
