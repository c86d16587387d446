import { Controller, Get, Header, NotFoundException, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { resourceChangeJsonSchema } from '@herald/contracts';
import { RESOURCE_CHANGE_SCHEMA_PATH, eventTypeDetails, eventTypeSummaries, payloadFormatInfos, catalogOpenApi } from '@herald/registry/subscriptions';

/** The event catalog: every event type a webhook can subscribe to, each with its JSON Schema. */
@ApiTags('event catalog')
@Controller()
export class CatalogController {
  private readonly resourceChangeSchema = {
    $id: RESOURCE_CHANGE_SCHEMA_PATH,
    title: 'Herald resource-changed event (herald.resource-changes.v1)',
    ...resourceChangeJsonSchema(),
  };

  @Get('v1/event-types')
  @ApiOperation({
    summary: 'Every event type, the payload formats it is sent in, and every payload format',
    description:
      'Each event keeps `schema` (the JSON Schema of its native body); GET /v1/event-types/{type} gives the schema and an example body of every payload format.',
  })
  @ApiResponse({ status: 200, schema: catalogOpenApi.list })
  eventTypes() {
    return { data: eventTypeSummaries(), payloadFormats: payloadFormatInfos() };
  }

  @Get('v1/event-types/:type')
  @ApiOperation({
    summary: 'One event type: for each payload format, its content type, format headers, JSON Schema and an example body',
    description: 'The examples are rendered by the same renderers the router uses, from an example change; the schemas come from the zod schemas of each format.',
  })
  @ApiParam({ name: 'type', example: 'task.completed' })
  @ApiResponse({ status: 200, schema: catalogOpenApi.detail })
  @ApiResponse({ status: 404, description: 'Unknown event type (application/problem+json)' })
  eventType(@Param('type') type: string) {
    const detail = eventTypeDetails().get(type);
    if (!detail) throw new NotFoundException(`unknown event type "${type.slice(0, 100)}" (see GET /v1/event-types)`);
    return detail;
  }

  @Get('v1/schemas/resource-change.json')
  @Header('Content-Type', 'application/schema+json')
  @ApiOperation({ summary: 'JSON Schema of the resource-changed event, for producers that publish straight to Kafka' })
  resourceChange(): Record<string, unknown> {
    return this.resourceChangeSchema;
  }
}
