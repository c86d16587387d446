import { z } from 'zod';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { PROBLEM_JSON_SCHEMA } from '@herald/platform/http';

/**
 * Named schemas that request schemas share (zod schemas with a `meta({ id })`, e.g. the nested
 * attribute values): `openApiDocument` puts them under `components.schemas`, and the request
 * schemas point there.
 */
export const SHARED_SCHEMAS: Record<string, SchemaObject> = {};

/**
 * `\d` means [0-9] to JavaScript and any Unicode digit to other regex dialects (Python's, which
 * test generators use): spelled out, so the document promises what the API checks.
 */
function portablePattern(pattern: string): string {
  return pattern.replace(/(^|[^\\])((?:\\\\)*)\\d/g, '$1$2[0-9]');
}

function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) out[k] = `#/components/schemas/${v.slice('#/$defs/'.length)}`;
    else if (k === 'pattern' && typeof v === 'string') out[k] = portablePattern(v);
    else out[k] = rewrite(v);
  }
  return out;
}

/**
 * A zod schema as an OpenAPI 3.1 schema (JSON Schema 2020-12): what a request body or query
 * parameter accepts (`io: 'input'`), or what a parsed value is (`io: 'output'`, for query
 * parameters whose strings become numbers).
 */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): SchemaObject {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json['$schema'];
  const defs = json['$defs'] as Record<string, unknown> | undefined;
  delete json['$defs'];
  for (const [name, def] of Object.entries(defs ?? {})) SHARED_SCHEMAS[name] = rewrite(def) as SchemaObject;
  return rewrite(json) as SchemaObject;
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
  required: ['id'],
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

/** RFC 9457 problem details: the one schema of the native APIs' errors (libs/platform/http). */
export const ProblemSchema = PROBLEM_JSON_SCHEMA as SchemaObject;
