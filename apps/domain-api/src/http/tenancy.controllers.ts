import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { API_KEY_SCOPES } from '@herald/contracts';
import {
  CreateApiKey,
  CreateUser,
  EmailSchema,
  FullNameSchema,
  NotFoundError,
  RevokeApiKey,
  ScopesSchema,
  TenancyRepository,
  UpdateUser,
  parseCommand,
  queryInt,
  safeText,
  type ApiKeyEntity,
  type AuthenticatedPrincipal,
  type UserEntity,
} from '@herald/domain/tenancy';
import { ApiKeyGuard, CurrentPrincipal, RequiresScope } from '../auth/api-key.guard';
import { PrincipalPublishing } from '../principals/principal-publishing.service';
import { ApiProblem, ApiQueryFrom, AuthenticatedEndpoint } from './api-docs';
import { JsonBody } from './json-body';
import { openApiSchema } from './openapi-schemas';

const CreateUserBody = z.strictObject({ fullName: FullNameSchema, email: EmailSchema, isAdmin: z.boolean().optional() });
const UpdateUserBody = z.strictObject({
  fullName: FullNameSchema.optional(),
  active: z.boolean().optional().describe("false: the user's keys stop working"),
  isAdmin: z.boolean().optional(),
});
const CreateApiKeyBody = z.strictObject({
  userId: z.uuid().optional().describe('Whose key (default: the caller)'),
  scopes: ScopesSchema.optional().describe(`Any of ${API_KEY_SCOPES.join(', ')} (default: all)`),
  label: safeText(200, { trim: true }).nullish(),
});
const PageQuery = z.strictObject({
  limit: queryInt(1, 1000).default(50),
  offset: queryInt(0, 2_147_483_647).default(0),
});

const UserSchema: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    fullName: { type: 'string' },
    email: { type: 'string' },
    logonAccount: { type: 'string' },
    active: { type: 'boolean' },
    isAdmin: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'fullName', 'email', 'active', 'isAdmin'],
};
const ApiKeySchema: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    keyId: { type: 'string' },
    userId: { type: 'string', format: 'uuid' },
    scopes: { type: 'array', items: { type: 'string', enum: [...API_KEY_SCOPES] } },
    label: { type: ['string', 'null'] } as unknown as SchemaObject,
    createdAt: { type: 'string', format: 'date-time' },
    revokedAt: { type: ['string', 'null'] } as unknown as SchemaObject,
  },
  required: ['id', 'keyId', 'userId', 'scopes'],
};

/** How long an API call waits for Kafka to acknowledge a principal change before answering. */
const PUBLISH_WAIT_MS = 3_000;

function userView(u: UserEntity) {
  return {
    id: u.id,
    fullName: u.fullName,
    email: u.email,
    logonAccount: u.email,
    active: u.active,
    isAdmin: u.isAdmin,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

function keyView(k: ApiKeyEntity) {
  return {
    id: k.id,
    keyId: k.keyId,
    userId: k.userId,
    scopes: k.scopes,
    label: k.label,
    createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
  };
}

@ApiTags('user')
@AuthenticatedEndpoint()
@UseGuards(ApiKeyGuard)
@Controller('v1')
export class UsersController {
  constructor(
    private readonly ds: DataSource,
    private readonly createUser: CreateUser,
    private readonly updateUser: UpdateUser,
    private readonly publishing: PrincipalPublishing,
  ) {}

  @Get('me')
  @ApiOperation({ summary: 'The caller: user, tenant and key scopes' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        userId: { type: 'string', format: 'uuid' },
        fullName: { type: 'string' },
        email: { type: 'string' },
        tenant: { type: 'object', properties: { id: { type: 'string' }, slug: { type: 'string' }, domain: { type: 'string' } } },
        keyId: { type: 'string' },
        scopes: { type: 'array', items: { type: 'string' } },
      },
    },
  })
  me(@CurrentPrincipal() p: AuthenticatedPrincipal) {
    return {
      userId: p.userId,
      fullName: p.fullName,
      email: p.email,
      tenant: { id: p.tenantId, slug: p.tenantSlug, domain: p.tenantDomain },
      keyId: p.keyId,
      scopes: p.scopes,
    };
  }

  @Get('users')
  @ApiOperation({ summary: "List the tenant's users" })
  @ApiQueryFrom(PageQuery)
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        data: { type: 'array', items: UserSchema },
        page: { type: 'object', properties: { limit: { type: 'integer' }, offset: { type: 'integer' }, total: { type: 'integer' } } },
      },
    },
  })
  async list(@CurrentPrincipal() p: AuthenticatedPrincipal, @Query() query: unknown) {
    const q = parseCommand(PageQuery, query);
    const [rows, total] = await new TenancyRepository(this.ds.manager).listUsers(p.tenantId, q.limit, q.offset);
    return { data: rows.map(userView), page: { limit: q.limit, offset: q.offset, total } };
  }

  @Get('users/:id')
  @ApiOperation({ summary: 'A user of the tenant' })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiOkResponse({ schema: UserSchema })
  @ApiProblem(404, "No such user in the caller's tenant")
  async get(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string) {
    const user = await new TenancyRepository(this.ds.manager).findUser(p.tenantId, id);
    if (!user) throw new NotFoundError('user', id);
    return userView(user);
  }

  @Post('users')
  @HttpCode(201)
  @RequiresScope('administrative')
  @ApiOperation({ summary: 'Add a user to the tenant (administrative scope)' })
  @ApiBody({ schema: openApiSchema(CreateUserBody) })
  @ApiResponse({ status: 201, schema: UserSchema })
  @ApiProblem(409, 'A user with this e-mail exists')
  async create(@CurrentPrincipal() p: AuthenticatedPrincipal, @JsonBody() body: unknown) {
    const b = parseCommand(CreateUserBody, body);
    const user = await this.createUser.execute({ tenantId: p.tenantId, ...b });
    await this.publishing.publishWithin(PUBLISH_WAIT_MS);
    return userView(user);
  }

  @Patch('users/:id')
  @RequiresScope('administrative')
  @ApiOperation({ summary: 'Rename, (de)activate or (un)make admin a user (administrative scope)' })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiBody({ schema: openApiSchema(UpdateUserBody) })
  @ApiOkResponse({ schema: UserSchema })
  @ApiProblem(409, 'The caller deactivating themselves or dropping their own admin role')
  @ApiProblem(404, "No such user in the caller's tenant")
  async update(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string, @JsonBody() body: unknown) {
    const b = parseCommand(UpdateUserBody, body);
    const user = await this.updateUser.execute({ tenantId: p.tenantId, userId: id, ...b, actingUserId: p.userId });
    await this.publishing.publishWithin(PUBLISH_WAIT_MS);
    return userView(user);
  }
}

@ApiTags('api key')
@AuthenticatedEndpoint()
@UseGuards(ApiKeyGuard)
@RequiresScope('administrative')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(
    private readonly ds: DataSource,
    private readonly createApiKey: CreateApiKey,
    private readonly revokeApiKey: RevokeApiKey,
    private readonly publishing: PrincipalPublishing,
  ) {}

  @Get()
  @ApiOperation({ summary: "List the tenant's API keys (never the keys themselves)" })
  @ApiOkResponse({ schema: { type: 'object', properties: { data: { type: 'array', items: ApiKeySchema } } } })
  async list(@CurrentPrincipal() p: AuthenticatedPrincipal) {
    return { data: (await new TenancyRepository(this.ds.manager).listApiKeys(p.tenantId)).map(keyView) };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create an API key (administrative scope)',
    description: '`apiKey` is shown in this answer only: Herald stores its hash.',
  })
  @ApiBody({ schema: openApiSchema(CreateApiKeyBody) })
  @ApiResponse({
    status: 201,
    description: 'The key, once',
    schema: { ...ApiKeySchema, properties: { ...ApiKeySchema.properties, apiKey: { type: 'string' } }, required: [...(ApiKeySchema.required ?? []), 'apiKey'] },
  })
  @ApiProblem(404, "No such user in the caller's tenant")
  async create(@CurrentPrincipal() p: AuthenticatedPrincipal, @JsonBody() body: unknown) {
    const b = parseCommand(CreateApiKeyBody, body);
    const created = await this.createApiKey.execute({
      tenantId: p.tenantId,
      user: b.userId ?? p.userId,
      scopes: b.scopes,
      label: b.label,
    });
    await this.publishing.publishWithin(PUBLISH_WAIT_MS);
    return { ...keyView(created.key), apiKey: created.apiKey };
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an API key (administrative scope)', description: 'By its id or its key id.' })
  @ApiParam({ name: 'id', schema: { type: 'string' } })
  @ApiOkResponse({ description: 'The revoked key', schema: ApiKeySchema })
  @ApiProblem(404, "No such key in the caller's tenant")
  @ApiProblem(409, 'The key is the one making the request (a key cannot revoke itself)')
  @ApiProblem(503, 'Revoked, but Kafka has not acknowledged it within 10 s: services may still accept the key; retry to confirm')
  async revoke(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string) {
    // Answers once Kafka acknowledged the revocation (RevokeApiKey waits for it), or 503.
    return keyView(await this.revokeApiKey.execute({ tenantId: p.tenantId, id, actingKeyId: p.keyId }));
  }
}
