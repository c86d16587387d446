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
  statsSummary: {
    type: 'object',
    properties: {
      subscriptionId: { type: 'string' },
      attempts: {
        type: 'object',
        properties: {
          delivered: { type: 'integer' },
          retrying: { type: 'integer', description: 'Failed attempts that will be retried' },
          failed: { type: 'integer', description: 'Last attempts that failed (into the DLQ)' },
          discarded: { type: 'integer' },
          total: { type: 'integer' },
        },
      },
      successRate: { type: ['number', 'null'], description: 'delivered / total attempts; null without attempts' },
      latencyMs: {
        type: 'object',
        properties: {
          p50: { type: ['integer', 'null'] },
          p99: { type: ['integer', 'null'] },
          mean: { type: ['integer', 'null'] },
        },
      },
      lastAttempt: {
        type: ['object', 'null'],
        properties: {
          at: dateTime,
          status: { enum: [...DELIVERY_STATUSES] },
          httpStatus: { type: ['integer', 'null'] },
          errorClass: { type: ['string', 'null'] },
        },
      },
    },
  },
  job: {
    type: 'object',
    description: 'A replay or DLQ redrive job',
    properties: {
      id: { type: 'string', format: 'uuid' },
      href: { type: 'string', description: 'GET it for the state and progress' },
      subscriptionId: { type: 'string' },
      kind: { enum: ['replay', 'redrive'] },
      state: { enum: ['queued', 'running', 'succeeded', 'failed'] },
      since: { ...nullableDateTime, description: 'Replay: events logged since then' },
      counts: {
        type: 'object',
        properties: {
          scanned: { type: 'integer', description: 'Log rows (replay) or DLQ messages (redrive) read so far' },
          produced: { type: 'integer', description: 'Deliveries sent again so far' },
          skipped: { type: 'integer', description: 'Redrive: messages of this webhook that are not deliveries (poison), left on the DLQ' },
          total: { type: ['integer', 'null'], description: 'Redrive: DLQ offsets to read in all; replay: null' },
        },
      },
      progress: { type: 'number', minimum: 0, maximum: 1, description: 'Redrive: offsets read / total; replay: time covered / window' },
      error: { type: ['string', 'null'], description: 'Why a failed job failed' },
      runs: { type: 'integer', description: 'More than 1: a registry process stopped and another resumed it' },
      createdAt: dateTime,
      startedAt: nullableDateTime,
      finishedAt: nullableDateTime,
    },
  },
};

const withList = {
  ...schemas,
  jobList: { type: 'object', properties: { data: { type: 'array', items: schemas.job } } },
  stats: {
    type: 'object',
    properties: {
      subscriptionId: { type: 'string' },
      window: {
        type: 'object',
        properties: { from: dateTime, to: dateTime, bucketMinutes: { type: 'integer' } },
      },
      summary: schemas.statsSummary,
      series: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            at: { ...dateTime, description: 'Start of the bucket' },
            delivered: { type: 'integer' },
            retrying: { type: 'integer' },
            failed: { type: 'integer' },
            discarded: { type: 'integer' },
            p50Ms: { type: ['integer', 'null'] },
            p99Ms: { type: ['integer', 'null'] },
          },
        },
      },
    },
  },
};

export const deliveriesOpenApi = withList as unknown as Record<keyof typeof withList, SchemaObject>;
