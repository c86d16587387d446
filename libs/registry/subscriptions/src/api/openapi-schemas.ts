import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { EVENT_CATALOG, OPERATIONAL_EVENT_TYPES, PAYLOAD_FORMATS } from '@herald/contracts';
import {
  FILTER_KEY_NAMES,
  NO_NUL,
  OPERATIONAL_PAYLOAD_FORMATS,
  FORMAT_OPTIONS_DEPTH,
  SCHEMA_BOUNDS,
  RESERVED_HEADER_NAMES,
  SubscriptionPatchSchema,
  SubscriptionSettingsInputSchema,
} from '../model/settings';

type Schema = Record<string, unknown>;


const jsonSchema = (s: z.ZodType): Schema =>
  z.toJSONSchema(s, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Schema;

const redacted = { type: ['string', 'null'], description: 'redacted: recognisable, never usable' };

const webhook: Schema = {
  type: 'object',
  description: 'A webhook subscription; secrets are redacted.',
  properties: {
    id: { type: 'string', format: 'uuid' },
    externalId: { type: 'integer' },
    tenantId: { type: 'string' },
    ownerUserId: { type: 'string' },
    dialect: { type: 'string' },
    status: { enum: ['disabled', 'active', 'active-with-failures', 'auto-disabled'] },
    statusReason: { type: ['string', 'null'] },
    statusChangedAt: { type: 'string', format: 'date-time' },
    consecutiveFailures: { type: 'integer' },
    url: { type: 'string' },
    eventTypes: { type: 'array', items: { type: 'string' } },
    headers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: redacted } } },
    authorization: redacted,
    basicAuth: { type: ['object', 'null'], properties: { user: { type: 'string' }, password: redacted } },
    signingSecrets: {
      type: 'array',
      items: { type: 'object', properties: { secret: redacted, expiresAt: { type: ['string', 'null'], format: 'date-time' } } },
    },
    version: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: [
    'id',
    'externalId',
    'tenantId',
    'ownerUserId',
    'dialect',
    'status',
    'statusReason',
    'statusChangedAt',
    'consecutiveFailures',
    'url',
    'eventTypes',
    'headers',
    'authorization',
    'basicAuth',
    'signingSecrets',
    'version',
    'createdAt',
    'updatedAt',
  ],
  additionalProperties: true,
};

/** A pattern matching any of the words in any letter case (JSON Schema patterns have no flags). */
const anyCase = (words: readonly string[]) =>
  `^(${words.map((w) => [...w].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')).join('|')})$`;

/** Every event type a hook can subscribe to ("*" first: the generator's first pick is a valid one). */
export const SUBSCRIBABLE_EVENT_TYPES: readonly string[] = ['*', ...EVENT_CATALOG.map((e) => e.type), ...OPERATIONAL_EVENT_TYPES];

/**
 * What the zod schemas check with code (refinements, rules across fields) said in the document,
 * so that every body it allows is taken and every body it refuses is refused: event types from
 * the catalog, filter keys that are resource types, header names Herald does not set itself, an
 * http(s) URL; operational events (hook.*) only in Herald's own formats; a template only on a
 * project-level hook. A URL can still be refused (400) for what no schema can say: its host does
 * not resolve, or resolves to an address Herald may not call.
 */
function documented(body: Schema): Schema {
  const props = body['properties'] as Record<string, Schema>;
  props['url'] = {
    ...props['url'],
    pattern: '^[hH][tT][tT][pP][sS]?://[^\\s@]+$',
    description: 'http or https, no credentials (use basicAuth); a host that does not resolve, or resolves to an address Herald may not call, is a 400',
  };
  props['eventTypes'] = { ...props['eventTypes'], items: { enum: [...SUBSCRIBABLE_EVENT_TYPES] }, description: '"*" for every resource event; GET /v1/event-types' };
  for (const k of ['fieldFilters', 'resourceFilters']) props[k] = { ...props[k], propertyNames: { enum: [...FILTER_KEY_NAMES] } };
  const attrs = (props['resourceFilters'] as Schema)['additionalProperties'] as Schema;
  attrs['maxProperties'] = SCHEMA_BOUNDS.filterAttributes;
  // JSON PostgreSQL's jsonb stores (no NUL in a key or a text), arrays and objects nested at most
  // FORMAT_OPTIONS_DEPTH levels (what validation takes: a $ref cannot recurse inside the document).
  const leaf: Schema = { anyOf: [{ type: 'string', pattern: NO_NUL.source }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }] };
  const nested = (depth: number): Schema =>
    depth === 0
      ? leaf
      : { anyOf: [leaf, { type: 'array', items: nested(depth - 1) }, { type: 'object', propertyNames: { pattern: NO_NUL.source }, additionalProperties: nested(depth - 1) }] };
  props['formatOptions'] = {
    type: 'object',
    propertyNames: { pattern: NO_NUL.source },
    additionalProperties: nested(FORMAT_OPTIONS_DEPTH),
    description: `The payload format's options: arrays and objects at most ${FORMAT_OPTIONS_DEPTH} levels deep, no NUL in a key or a text (nor a lone surrogate)`,
  };
  const headerItems = (props['headers'] as Schema)['items'] as Schema;
  const headerName = (headerItems['properties'] as Record<string, Schema>)['name'];
  headerName['not'] = { anyOf: [{ pattern: anyCase(RESERVED_HEADER_NAMES) }, { pattern: '^[cC][eE]-' }] };
  headerName['description'] = 'An HTTP header name; not one Herald sets itself (Content-Type, Host, Authorization, webhook-*, ce-*…)';
  const rules: Schema[] = [
    {
      if: { required: ['eventTypes'], properties: { eventTypes: { contains: { enum: [...OPERATIONAL_EVENT_TYPES] } } } },
      then: { properties: { payloadFormat: { enum: [...OPERATIONAL_PAYLOAD_FORMATS] } } },
    },
    {
      if: { required: ['templateId'], properties: { templateId: { type: 'string' } } },
      then: { required: ['scope'], properties: { scope: { required: ['kind'], properties: { kind: { const: 'project' } } } } },
    },
  ];
  return { ...body, allOf: [...((body['allOf'] as Schema[] | undefined) ?? []), ...rules] };
}

/** JSON Schemas for the OpenAPI document, generated from the same zod schemas that validate. */
const schemas = {
  createBody: (() => {
    const s = documented(jsonSchema(SubscriptionSettingsInputSchema));
    const properties = { ...(s['properties'] as Schema), enabled: { type: 'boolean', default: true } };
    return { ...s, properties };
  })(),
  patchBody: (() => {
    // payloadFormat is fixed at creation: a PATCH that changes it is a 422 (immutable-field), one
    // that repeats it changes nothing. Left out here, so the document offers no patch it refuses.
    const s = documented(jsonSchema(SubscriptionPatchSchema));
    const { payloadFormat: _fixed, ...properties } = s['properties'] as Schema;
    return { ...s, properties };
  })(),
  webhook,
  createdWebhook: {
    allOf: [webhook, { type: 'object', properties: { signingSecret: { type: 'string', description: 'whsec_…, shown once' } }, required: ['signingSecret'] }],
  },
  webhookPage: {
    type: 'object',
    properties: { data: { type: 'array', items: webhook }, nextCursor: { type: ['string', 'null'] } },
  },
  testResult: {
    type: 'object',
    properties: {
      ok: { type: 'boolean' },
      webhookId: { type: 'string' },
      eventType: { const: 'webhook.test' },
      httpStatus: { type: ['integer', 'null'] },
      durationMs: { type: 'number' },
      bodyExcerpt: { type: ['string', 'null'] },
      errorClass: { type: ['string', 'null'] },
      errorMessage: { type: ['string', 'null'] },
    },
  },
};

/** The document is OpenAPI 3.1 (JSON Schema 2020-12); @nestjs/swagger's types only know 3.0's schema objects. */
export const openApiSchemas = schemas as unknown as Record<keyof typeof schemas, SchemaObject>;

const jsonSchemaObject: Schema = { type: 'object', description: 'A JSON Schema (2020-12)', additionalProperties: true };
const eventTypeFields: Schema = {
  type: { type: 'string', examples: ['task.completed'] },
  resourceType: { type: ['string', 'null'] },
  action: { type: 'string' },
  description: { type: 'string' },
  schema: { ...jsonSchemaObject, description: 'JSON Schema of the native body' },
  eventSchema: { type: ['object', 'null'], description: '$ref to the resource-change event schema (resource events only)' },
};
const payloadFormatEnum: Schema = { enum: [...PAYLOAD_FORMATS] };

/** `/v1/event-types` and `/v1/event-types/{type}`. */
export const catalogOpenApi = {
  list: {
    type: 'object',
    properties: {
      data: {
        type: 'array',
        items: {
          type: 'object',
          properties: { ...eventTypeFields, payloadFormats: { type: 'array', items: payloadFormatEnum, description: 'The formats this event is sent in' } },
        },
      },
      payloadFormats: {
        type: 'array',
        description: 'Every payload format a webhook can choose (payloadFormat, fixed at creation)',
        items: { type: 'object', properties: { format: payloadFormatEnum, description: { type: 'string' }, contentType: { type: 'string' } } },
      },
    },
  },
  detail: {
    type: 'object',
    properties: {
      ...eventTypeFields,
      payloads: {
        type: 'object',
        description: 'Per payload format this event is sent in',
        propertyNames: payloadFormatEnum,
        additionalProperties: {
          type: 'object',
          properties: {
            contentType: { type: 'string' },
            headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Headers the format adds (CloudEvents binary: ce-*), beside webhook-id, webhook-timestamp and webhook-signature' },
            schema: { ...jsonSchemaObject, description: 'JSON Schema of the body' },
            example: { description: 'An example body, as the renderer makes it' },
          },
        },
      },
    },
  },
} as unknown as Record<'list' | 'detail', SchemaObject>;

