import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  UseGuards,
  applyDecorators,
  type Type,
} from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { initiatorOf, type AuthenticatedPrincipal } from '@herald/domain/tenancy';
import {
  CreateResource,
  DeleteResource,
  GetResource,
  ListResources,
  SetCompletion,
  UpdateResource,
  listQuerySchema,
  type ResourceDefinition,
} from '@herald/domain/resources';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import { ApiProblem, ApiQueryFrom, AuthenticatedEndpoint } from './api-docs';
import { JsonBody } from './json-body';
import { ResourcePageSchema, ResourceStateSchema, openApiSchema } from './openapi-schemas';

const pascal = (s: string) => s.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

export function changeContext(p: AuthenticatedPrincipal) {
  return { tenantId: p.tenantId, initiator: initiatorOf(p) };
}

/**
 * `/v1/<path>` CRUD for one resource type: the same five endpoints for every type, generated
 * from its definition (DTOs, filters), each a thin call into a use case.
 */
export function resourceController(def: ResourceDefinition): Type<unknown> {
  const one = `the ${def.label}`;

  @ApiTags(def.label)
  @AuthenticatedEndpoint()
  @UseGuards(ApiKeyGuard)
  @Controller(`v1/${def.path}`)
  class ResourceController {
    constructor(
      @Inject(CreateResource) private readonly createResource: CreateResource,
      @Inject(GetResource) private readonly getResource: GetResource,
      @Inject(ListResources) private readonly listResources: ListResources,
      @Inject(UpdateResource) private readonly updateResource: UpdateResource,
      @Inject(DeleteResource) private readonly deleteResource: DeleteResource,
    ) {}

    @Post()
    @HttpCode(201)
    @ApiOperation({ summary: `Create a ${def.label}`, description: `Emits \`${def.type}.created\`. Needs the write scope.` })
    @ApiBody({ schema: openApiSchema(def.createSchema) })
    @ApiResponse({ status: 201, schema: ResourceStateSchema })
    @ApiProblem(400, 'Invalid input (unknown fields are refused)')
    create(@CurrentPrincipal() p: AuthenticatedPrincipal, @JsonBody() body: unknown) {
      return this.createResource.execute({ ...changeContext(p), type: def.type, input: body });
    }

    @Get()
    @ApiOperation({ summary: `List ${def.label}s`, description: 'Oldest first; page by offset or by cursor.' })
    @ApiQueryFrom(listQuerySchema(def.filters))
    @ApiOkResponse({ schema: ResourcePageSchema })
    list(@CurrentPrincipal() p: AuthenticatedPrincipal, @Query() query: Record<string, unknown>) {
      return this.listResources.execute({ tenantId: p.tenantId, type: def.type, query });
    }

    @Get(':id')
    @ApiOperation({ summary: `Get a ${def.label}` })
    @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
    @ApiOkResponse({ schema: ResourceStateSchema })
    @ApiProblem(404, `No such ${def.label} in the caller's tenant`)
    get(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string) {
      return this.getResource.execute({ tenantId: p.tenantId, type: def.type, id });
    }

    @Patch(':id')
    @ApiOperation({
      summary: `Update a ${def.label}`,
      description: `Changes only the given fields; emits \`${def.type}.updated\` with before/after/changedFields, or nothing when nothing changed.`,
    })
    @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
    @ApiBody({ schema: openApiSchema(def.updateSchema) })
    @ApiOkResponse({ schema: ResourceStateSchema })
    @ApiProblem(400, 'Invalid input')
    @ApiProblem(404, `No such ${def.label} in the caller's tenant`)
    update(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string, @JsonBody() body: unknown) {
      return this.updateResource.execute({ ...changeContext(p), type: def.type, id, input: body });
    }

    @Delete(':id')
    @HttpCode(204)
    @ApiOperation({ summary: `Delete a ${def.label}`, description: `Emits \`${def.type}.deleted\` with ${one} as it was.` })
    @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
    @ApiResponse({ status: 204, description: 'Deleted' })
    @ApiProblem(404, `No such ${def.label} in the caller's tenant`)
    @ApiProblem(409, `Other resources still point at ${one}`)
    async remove(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string): Promise<void> {
      await this.deleteResource.execute({ ...changeContext(p), type: def.type, id });
    }
  }
  Object.defineProperty(ResourceController, 'name', { value: `${pascal(def.type)}Controller` });
  return ResourceController;
}

/** The two completion actions of tasks and subtasks: the event each emits, and when it emits none. */
const COMPLETION_ACTIONS = {
  complete: { summary: 'Complete', emits: 'completed', unchanged: 'if it already is' },
  reopen: { summary: 'Reopen', emits: 'reopened', unchanged: 'if it is open' },
} as const;

/** `POST /v1/<path>/{id}/<action>` and its documentation. */
function CompletionRoute(def: ResourceDefinition, action: keyof typeof COMPLETION_ACTIONS): MethodDecorator {
  const { summary, emits, unchanged } = COMPLETION_ACTIONS[action];
  return applyDecorators(
    Post(`:id/${action}`),
    HttpCode(200),
    ApiOperation({ summary: `${summary} a ${def.label}`, description: `Emits \`${def.type}.${emits}\` (nothing ${unchanged}).` }),
    ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } }),
    ApiOkResponse({ schema: ResourceStateSchema }),
    ApiProblem(404, `No such ${def.label} in the caller's tenant`),
  );
}

/** `POST /v1/{tasks,subtasks}/{id}/complete|reopen`. */
export function completionController(def: ResourceDefinition): Type<unknown> {
  const type = def.type as 'task' | 'subtask';

  @ApiTags(def.label)
  @AuthenticatedEndpoint()
  @UseGuards(ApiKeyGuard)
  @Controller(`v1/${def.path}`)
  class CompletionController {
    constructor(@Inject(SetCompletion) private readonly setCompletion: SetCompletion) {}

    @CompletionRoute(def, 'complete')
    complete(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string) {
      return this.setCompletion.execute({ ...changeContext(p), type, id, completed: true });
    }

    @CompletionRoute(def, 'reopen')
    reopen(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string) {
      return this.setCompletion.execute({ ...changeContext(p), type, id, completed: false });
    }
  }
  Object.defineProperty(CompletionController, 'name', { value: `${pascal(def.type)}CompletionController` });
  return CompletionController;
}
