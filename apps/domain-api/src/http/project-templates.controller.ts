import { Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedPrincipal } from '@herald/domain/tenancy';
import { CreateProjectFromTemplate, ProjectFromTemplateSchema } from '@herald/domain/resources';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import { ApiProblem, AuthenticatedEndpoint } from './api-docs';
import { JsonBody } from './json-body';
import { ResourceStateSchema, openApiSchema } from './openapi-schemas';
import { changeContext } from './resource-controllers';

@ApiTags('project template')
@AuthenticatedEndpoint()
@UseGuards(ApiKeyGuard)
@Controller('v1/project-templates')
export class ProjectTemplateActionsController {
  constructor(private readonly createFromTemplate: CreateProjectFromTemplate) {}

  @Post(':id/projects')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create a project from a template',
    description:
      "Emits `project.created` whose `after.templateId` names the template (the registry copies the template's project-level hooks), then `task.created` for each of the template's tasks.",
  })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiBody({ schema: openApiSchema(ProjectFromTemplateSchema) })
  @ApiResponse({
    status: 201,
    schema: { type: 'object', properties: { project: ResourceStateSchema, tasks: { type: 'array', items: ResourceStateSchema } } },
  })
  @ApiProblem(404, "No such template in the caller's tenant")
  create(@CurrentPrincipal() p: AuthenticatedPrincipal, @Param('id') id: string, @JsonBody() body: unknown) {
    return this.createFromTemplate.execute({ ...changeContext(p), templateId: id, input: body });
  }
}
