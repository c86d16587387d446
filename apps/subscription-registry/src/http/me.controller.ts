import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  BearerApiKeyGuard,
  CurrentPrincipal,
  PrincipalDirectory,
  RequireAnyScope,
  type AuthenticatedPrincipal,
} from '@herald/registry/principals';

/** Who the key belongs to: the console's sign-in shows the tenant's name and the user. */
@ApiTags('webhooks')
@ApiBearerAuth('bearer')
@Controller('v1/webhooks/me')
@UseGuards(BearerApiKeyGuard)
@RequireAnyScope('webhooks', 'administrative')
export class MeController {
  constructor(private readonly directory: PrincipalDirectory) {}

  @Get()
  @ApiOperation({ summary: 'The tenant, user and scopes of the API key (the console signs in with it)' })
  @ApiResponse({
    status: 200,
    schema: {
      type: 'object',
      properties: {
        tenant: {
          type: 'object',
          properties: { id: { type: 'string' }, name: { type: 'string' }, slug: { type: 'string' }, domain: { type: 'string' } },
        },
        user: { type: 'object', properties: { id: { type: 'string' }, fullName: { type: 'string' } } },
        keyId: { type: 'string' },
        scopes: { type: 'array', items: { type: 'string' } },
      },
    },
  })
  me(@CurrentPrincipal() p: AuthenticatedPrincipal) {
    const tenant = this.directory.tenant(p.tenantId);
    return {
      tenant: { id: p.tenantId, name: tenant?.name ?? p.tenantSlug, slug: p.tenantSlug, domain: p.tenantDomain },
      user: { id: p.userId, fullName: p.userFullName },
      keyId: p.keyId,
      scopes: p.scopes,
    };
  }
}
