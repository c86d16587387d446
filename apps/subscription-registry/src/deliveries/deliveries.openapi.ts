import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { DELIVERY_STATUSES } from '@herald/contracts';

const dateTime = { type: 'string', format: 'date-time' };
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' };

const summary = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    eventId: { type: 'string', description: 'The `webhook-id` the receiver saw' },
    subscriptionId: { type: 'string' },
    eventType: { type: 'string' },
    resourceName: { type: 'string', description: 'The resource type (task, project, …)' },
    resourceId: { type: 'string' },
    status: { enum: [...DELIVERY_STATUSES] },
    origin: { enum: ['event', 'test', 'redeliver', 'replay', 'redrive'] },
    attemptCount: { type: 'integer' },
    lastAttemptAt: nullableDateTime,
    lastHttpStatus: { type: ['integer', 'null'] },
    lastErrorClass: { type: ['string', 'null'] },
    nextAttemptAt: nullableDateTime,
    occurredAt: nullableDateTime,
    createdAt: dateTime,
    updatedAt: dateTime,
  },
};

/** OpenAPI 3.1 schemas of the deliveries endpoints' answers (3.1 type arrays: cast for @nestjs/swagger's 3.0 types). */
const schemas = {
  page: {
    type: 'object',
    properties: {
      data: { type: 'array', items: summary },
      nextCursor: {
        type: ['string', 'null'],
        description: 'Pass as `cursor` for the next (older) page',
      },
      limit: { type: 'integer' },
    },
  },
  delivery: {
    type: 'object',
    properties: {
      ...summary.properties,
      body: { type: ['string', 'null'], description: 'The body as sent' },
      payload: { description: 'The body parsed, when it is JSON' },
      attempts: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            attempt: { type: 'integer' },
            status: { enum: [...DELIVERY_STATUSES] },
            at: dateTime,
            httpStatus: { type: ['integer', 'null'] },
            durationMs: { type: ['number', 'null'] },
            errorClass: { type: ['string', 'null'] },
            errorMessage: { type: ['string', 'null'] },
            responseExcerpt: {
              type: ['string', 'null'],
              description: 'At most 4 KB of the answer',
            },
            nextAttemptAt: nullableDateTime,
          },
        },
      },
    },
  },
  redelivered: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      eventId: { type: 'string' },
      subscriptionId: { type: 'string' },
      origin: { const: 'redeliver' },
      status: { const: 'queued' },
    },
  },
  replayBody: {
    type: 'object',
    required: ['since'],
    additionalProperties: false,
    properties: {
      since: {
        ...dateTime,
        description: 'Re-send every event logged since then (at most the 28-day history)',
      },
    },
  },
  replayed: {
    type: 'object',
    properties: { subscriptionId: { type: 'string' }, since: dateTime, count: { type: 'integer' } },
  },
  redriven: {
    type: 'object',
    properties: {
      subscriptionId: { type: 'string' },
      count: { type: 'integer', description: 'Dead-lettered deliveries sent again' },
      skipped: {
        type: 'integer',
        description: 'Messages of this hook on the DLQ that are not deliveries (poison)',
      },
    },
  },
};

export const deliveriesOpenApi = schemas as unknown as Record<keyof typeof schemas, SchemaObject>;
