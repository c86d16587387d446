import { z } from 'zod';
import {
  EVENT_CATALOG,
  OPERATIONAL_EVENT_DESCRIPTIONS,
  OPERATIONAL_EVENT_TYPES,
  PAYLOAD_FORMATS,
  TEST_EVENT_TYPE,
  type PayloadFormat,
  type PayloadRenderer,
  type RenderedPayload,
  type SubscriptionSnapshot,
} from '@herald/contracts';
import { PpmExpressPayloadRenderer, PpmPayloadSchema } from '@herald/dialects/ppm-express';
import { PROCORE_PAYLOAD_SCHEMAS, PROCORE_RESOURCES, PROCORE_EVENT_TYPES, ProcorePayloadRenderer } from '@herald/dialects/procore';
import { ProProfsNotificationSchema, ProProfsPayloadRenderer } from '@herald/dialects/proprofs';
import { WorksectionPayloadRenderer, WorksectionPayloadSchema } from '@herald/dialects/worksection';
import {
  CLOUDEVENTS_TYPE_PREFIX,
  CloudEventAttributesSchema,
  CloudEventsPayloadRenderer,
  EXAMPLE_HOOK_ID,
  EXAMPLE_TENANT_ID,
  EXAMPLE_TIME,
  NativePayloadRenderer,
  NativePayloadSchema,
  OperationalEventPayloadSchema,
  TestEventPayloadSchema,
  exampleChangeOf,
  renderHeraldEvent,
  testEventPayloadOf,
} from '@herald/payload-formats';

/**
 * The event catalog with, for each event type and each payload format it is sent in, the JSON
 * Schema of the body and an example body. Nothing here is written by hand: the examples are
 * what the router's renderers (the same classes) make of an example change, and the schemas are
 * generated from the zod schemas of each format. A spec validates every example against its schema.
 */

type JsonSchema = Record<string, unknown>;

export interface PayloadExample {
  /** The request's Content-Type. */
  contentType: string;
  /** Headers the format adds (CloudEvents binary: `ce-*`), beside the Standard Webhooks ones. */
  headers: Record<string, string>;
  /** JSON Schema (2020-12) of the body. */
  schema: JsonSchema;
  /** The body, parsed. */
  example: unknown;
}

export interface EventTypeSummary {
  type: string;
  resourceType: string | null;
  action: string;
  description: string;
  /** JSON Schema of the native body (kept for clients of the first catalog). */
  schema: JsonSchema;
  /** JSON Schema of the resource-change event behind it, for resource events. */
  eventSchema: { $ref: string } | null;
  /** The payload formats this event is sent in. */
  payloadFormats: PayloadFormat[];
}

export interface EventTypeDetail extends Omit<EventTypeSummary, 'payloadFormats'> {
  /** Per payload format: content type, format headers, JSON Schema and an example of the body. */
  payloads: Partial<Record<PayloadFormat, PayloadExample>>;
}

export interface PayloadFormatInfo {
  format: PayloadFormat;
  description: string;
  contentType: string;
}

export const RESOURCE_CHANGE_SCHEMA_PATH = '/v1/schemas/resource-change.json';

/** What each format is, for the console's create form and the docs. */
const FORMAT_DESCRIPTIONS: Record<PayloadFormat, string> = {
  native: "Herald's own JSON: id, type, timestamp, resource, initiator, changedFields, data (with previous values).",
  proprofs: 'ProProfs Project: {"resource_url"} to GET the resource from.',
  worksection: 'Worksection: a JSON record of the action (action, object, project, user, date, new, old).',
  'procore-v2.0': 'Procore payload v2.0.',
  'procore-v3.0': 'Procore payload v3.0 (v2.0 with related_resources).',
  'procore-v4.0': 'Procore payload v4.0.',
  'ppm-express': 'PPM Express: WebhookId, MessageId, Data with Attributes and BeforeAttributes.',
  'cloudevents-structured': 'CloudEvents 1.0, structured mode: the whole event as the body (application/cloudevents+json); data is the native body.',
  'cloudevents-binary': 'CloudEvents 1.0, binary mode: the native body as the data, the attributes as ce-* headers.',
};

const RENDERERS: readonly PayloadRenderer[] = [
  new NativePayloadRenderer(),
  new CloudEventsPayloadRenderer(),
  new ProProfsPayloadRenderer(),
  new WorksectionPayloadRenderer(),
  new ProcorePayloadRenderer(),
  new PpmExpressPayloadRenderer(),
];
const rendererOf = new Map<string, PayloadRenderer>(RENDERERS.flatMap((r) => r.formats.map((f) => [f, r] as const)));

/** The native body of one event type, its type and resource type pinned. */
function nativeSchemaOf(type: string, resourceType: string): z.ZodType {
  return NativePayloadSchema.extend({
    type: z.literal(type),
    resource: z.object({ type: z.literal(resourceType), id: z.string().min(1) }),
  });
}

/** The body schema of a resource event in one format (an exhaustive map: a new format must say its schema). */
const BODY_SCHEMAS: Record<PayloadFormat, (type: string, resourceType: string) => z.ZodType> = {
  native: nativeSchemaOf,
  'cloudevents-structured': (type, resourceType) =>
    CloudEventAttributesSchema.extend({ type: z.literal(`${CLOUDEVENTS_TYPE_PREFIX}${type}`), data: nativeSchemaOf(type, resourceType) }),
  'cloudevents-binary': nativeSchemaOf,
  proprofs: () => ProProfsNotificationSchema,
  worksection: () => WorksectionPayloadSchema,
  'procore-v2.0': () => PROCORE_PAYLOAD_SCHEMAS['procore-v2.0'],
  'procore-v3.0': () => PROCORE_PAYLOAD_SCHEMAS['procore-v3.0'],
  'procore-v4.0': () => PROCORE_PAYLOAD_SCHEMAS['procore-v4.0'],
  'ppm-express': () => PpmPayloadSchema,
};

const toJsonSchema = (s: z.ZodType): JsonSchema =>
  z.toJSONSchema(s, { target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;

/** A subscription that renders the example in `format` (Procore: a trigger for every resource and event type). */
function exampleSubscription(format: PayloadFormat): SubscriptionSnapshot {
  const formatOptions = format.startsWith('procore-')
    ? { triggers: PROCORE_RESOURCES.flatMap((r) => PROCORE_EVENT_TYPES.map((event_type) => ({ resource_type: r.resourceType, event_type }))) }
    : {};
  return { id: EXAMPLE_HOOK_ID, tenantId: EXAMPLE_TENANT_ID, payloadFormat: format, formatOptions } as unknown as SubscriptionSnapshot;
}

function example(rendered: RenderedPayload, schema: z.ZodType): PayloadExample {
  return { contentType: rendered.contentType, headers: rendered.headers, schema: toJsonSchema(schema), example: JSON.parse(rendered.body) };
}

function resourceEvent(e: (typeof EVENT_CATALOG)[number]): EventTypeDetail {
  const change = exampleChangeOf(e.type);
  if (!change) throw new Error(`no example change for ${e.type}`);
  const payloads: EventTypeDetail['payloads'] = {};
  for (const format of PAYLOAD_FORMATS) {
    const rendered = rendererOf.get(format)?.render(change, exampleSubscription(format), {
      eventType: e.type,
      deliveryId: '9d3f6a2e-1b4c-4d5e-8f7a-6b5c4d3e2f1a',
      routedAt: new Date(EXAMPLE_TIME),
      publicBaseUrl: 'https://api.herald.example.com',
    });
    if (rendered) payloads[format] = example(rendered, BODY_SCHEMAS[format](e.type, e.resourceType));
  }
  return {
    type: e.type,
    resourceType: e.resourceType,
    action: e.action,
    description: e.description,
    schema: toJsonSchema(nativeSchemaOf(e.type, e.resourceType)),
    eventSchema: { $ref: RESOURCE_CHANGE_SCHEMA_PATH },
    payloads,
  };
}

/**
 * An event Herald makes itself (webhook.test, hook.*): every format gets it as this JSON body, a
 * CloudEvents hook as a CloudEvent in its mode (renderHeraldEvent, as the registry sends it).
 */
function heraldEvent(
  type: string,
  resourceType: string | null,
  action: string,
  description: string,
  body: { id: string; timestamp: string; tenantId: string },
  subject: string,
  bodySchema: z.ZodType,
): EventTypeDetail {
  const payloads: EventTypeDetail['payloads'] = {};
  const event = { id: body.id, type, time: body.timestamp, tenantId: body.tenantId, subject };
  for (const format of PAYLOAD_FORMATS) {
    const schema =
      format === 'cloudevents-structured'
        ? CloudEventAttributesSchema.extend({ type: z.literal(`${CLOUDEVENTS_TYPE_PREFIX}${type}`), data: bodySchema })
        : bodySchema;
    payloads[format] = example(renderHeraldEvent(format, event, body), schema);
  }
  return { type, resourceType, action, description, schema: toJsonSchema(bodySchema), eventSchema: null, payloads };
}

function testEvent(): EventTypeDetail {
  const body = testEventPayloadOf({ webhookId: 'msg_2b7c9e0f4a1d4e6b8c3f5a7d9e1b3c5f', tenantId: EXAMPLE_TENANT_ID, subscriptionId: EXAMPLE_HOOK_ID, now: new Date(EXAMPLE_TIME) });
  return heraldEvent(TEST_EVENT_TYPE, null, 'test', 'Sent by POST /v1/webhooks/{id}/test; never by a change.', body, `webhook/${EXAMPLE_HOOK_ID}`, TestEventPayloadSchema);
}

function operationalEvent(type: (typeof OPERATIONAL_EVENT_TYPES)[number]): EventTypeDetail {
  const other = '0c9e8d7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f';
  const [status, previousStatus] =
    type === 'hook.disabled' ? (['auto-disabled', 'active-with-failures'] as const) : type === 'hook.failing' ? (['active-with-failures', 'active'] as const) : (['active', 'auto-disabled'] as const);
  const body = {
    id: '4b3a2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d',
    type,
    timestamp: EXAMPLE_TIME,
    tenantId: EXAMPLE_TENANT_ID,
    resource: { type: 'hook' as const, id: other },
    data: {
      hookId: other,
      url: 'https://receiver.example.com/hooks/orders',
      dialect: 'native',
      status,
      previousStatus,
      reason: type === 'hook.disabled' ? '20 failed attempts in a row' : null,
      statusChangedAt: EXAMPLE_TIME,
      consecutiveFailures: type === 'hook.enabled' ? 0 : type === 'hook.failing' ? 1 : 20,
    },
  };
  return heraldEvent(
    type,
    'hook',
    type.slice('hook.'.length),
    `${OPERATIONAL_EVENT_DESCRIPTIONS[type]} Operational: only hooks naming it receive it ("*" does not).`,
    body,
    `hook/${other}`,
    OperationalEventPayloadSchema.extend({ type: z.literal(type) }),
  );
}

let built: Map<string, EventTypeDetail> | null = null;

/** Every event type with its payloads, built once (a few milliseconds) on first use. */
export function eventTypeDetails(): Map<string, EventTypeDetail> {
  built ??= new Map(
    [...EVENT_CATALOG.map(resourceEvent), testEvent(), ...OPERATIONAL_EVENT_TYPES.map(operationalEvent)].map((d) => [d.type, d]),
  );
  return built;
}

export function eventTypeSummaries(): EventTypeSummary[] {
  return [...eventTypeDetails().values()].map(({ payloads, ...rest }) => ({
    ...rest,
    payloadFormats: Object.keys(payloads) as PayloadFormat[],
  }));
}

export function payloadFormatInfos(): PayloadFormatInfo[] {
  return PAYLOAD_FORMATS.map((format) => ({
    format,
    description: FORMAT_DESCRIPTIONS[format],
    contentType: format === 'cloudevents-structured' ? 'application/cloudevents+json' : 'application/json',
  }));
}

