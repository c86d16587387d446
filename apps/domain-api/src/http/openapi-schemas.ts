import { z } from 'zod';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/** A zod DTO as an OpenAPI 3.1 schema (JSON Schema 2020-12), as a request body accepts it. */
export function openApiSchema(schema: z.ZodType): SchemaObject {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json['$schema'];
  return json as SchemaObject;
}

export const ResourceStateSchema: SchemaObject = {
  type: 'object',
  description: 'The resource as stored: id, its fields, attributes, createdBy, createdAt, updatedAt.',
  properties: {
    id: { type: 'string', format: 'uuid' },
    attributes: { type: 'object', additionalProperties: true },
    createdBy: { type: 'string', format: 'uuid' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  additionalProperties: true,
};

export const ResourcePageSchema: SchemaObject = {
  type: 'object',
  properties: {
    data: { type: 'array', items: ResourceStateSchema },
    page: {
      type: 'object',
      properties: {
        limit: { type: 'integer' },
        offset: { type: ['integer', 'null'] } as unknown as SchemaObject,
        nextCursor: { type: ['string', 'null'] } as unknown as SchemaObject,
      },
    },
  },
};

export const ProblemSchema: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details (application/problem+json).',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  required: ['type', 'title', 'status', 'detail'],
};
