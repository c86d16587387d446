import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import {
  EVENT_CATALOG,
  InitiatorSchema,
  OPERATIONAL_EVENT_DESCRIPTIONS,
  OPERATIONAL_EVENT_TYPES,
  TEST_EVENT_TYPE,
  resourceChangeJsonSchema,
} from '@herald/contracts';

const RESOURCE_CHANGE_SCHEMA_PATH = '/v1/schemas/resource-change.json';

/** The native payload of one event type (what the router's native renderer sends). */
function nativePayloadSchema(type: string, resourceType: string | null): Record<string, unknown> {
  const schema = z.object({
    id: z.string().describe('The event id; also the webhook-id header'),
    type: z.literal(type),
    timestamp: z.iso.datetime({ offset: true }),
    tenantId: z.string(),
    projectId: z.string().nullable().optional(),
    resource: resourceType ? z.object({ type: z.literal(resourceType), id: z.string() }) : z.object({}).optional(),
    initiator: InitiatorSchema.optional(),
    changedFields: z.array(z.string()).optional(),
    data: z
      .record(z.string(), z.unknown())
      .describe('The resource after the change (before it, for a delete), with `previous` holding the old values of the changed fields'),
  });
  return z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
}

const CATALOG = [
  ...EVENT_CATALOG.map((e) => ({
    type: e.type,
    resourceType: e.resourceType,
    action: e.action,
    description: e.description,
    schema: nativePayloadSchema(e.type, e.resourceType),
    eventSchema: { $ref: RESOURCE_CHANGE_SCHEMA_PATH },
  })),
  {
    type: TEST_EVENT_TYPE,
    resourceType: null,
    action: 'test',
    description: 'Sent by POST /v1/webhooks/{id}/test; never by a change.',
    schema: nativePayloadSchema(TEST_EVENT_TYPE, null),
    eventSchema: null,
  },
  ...OPERATIONAL_EVENT_TYPES.map((type) => ({
    type,
    resourceType: 'hook',
    action: type.slice('hook.'.length),
    description: `${OPERATIONAL_EVENT_DESCRIPTIONS[type]} Operational: only hooks naming it receive it ("*" does not).`,
    schema: nativePayloadSchema(type, 'hook'),
    eventSchema: null,
  })),
];

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
  @ApiOperation({ summary: 'Every event type with the JSON Schema of its native payload' })
  eventTypes() {
    return { data: CATALOG };
  }

  @Get('v1/schemas/resource-change.json')
  @Header('Content-Type', 'application/schema+json')
  @ApiOperation({ summary: 'JSON Schema of the resource-changed event, for producers that publish straight to Kafka' })
  resourceChange(): Record<string, unknown> {
    return this.resourceChangeSchema;
  }
}
