import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { PAYLOAD_FORMATS } from '@herald/contracts';
import { SubscriptionPatchSchema, SubscriptionSettingsInputSchema } from '../model/settings';

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

/** JSON Schemas for the OpenAPI document, generated from the same zod schemas that validate. */
const schemas = {
  createBody: (() => {
    const s = jsonSchema(SubscriptionSettingsInputSchema);
    const properties = { ...(s['properties'] as Schema), enabled: { type: 'boolean', default: true } };
    return { ...s, properties };
  })(),
  patchBody: jsonSchema(SubscriptionPatchSchema),
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

