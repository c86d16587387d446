import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiResponse, ApiSecurity, type OpenAPIObject } from '@nestjs/swagger';
import type { z } from 'zod';
import { ProblemSchema, openApiSchema } from './openapi-schemas';

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };
const problem = (status: number, description: string) => ApiResponse({ status, description, content: problemContent });

/** Security schemes and the error answers every authenticated endpoint can give. */
export function AuthenticatedEndpoint() {
  return applyDecorators(
    ApiBearerAuth('bearer'),
    ApiSecurity('proprofs'),
    problem(401, 'Missing or wrong credentials'),
    problem(403, 'The key lacks the scope'),
  );
}

export const ApiProblem = problem;

/** Every key of a strict zod object as a query parameter, with the schema the value is parsed to. */
export function ApiQueryFrom(schema: z.ZodObject): MethodDecorator {
  return applyDecorators(
    ...Object.entries(schema.shape).map(([name, field]) => {
      const f = field as z.ZodType;
      return ApiQuery({
        name,
        required: !f.safeParse(undefined).success,
        schema: openApiSchema(f, 'output'),
        ...(f.description ? { description: f.description } : {}),
      });
    }),
  );
}

const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * The answers every operation can give besides the ones its decorators name, added to the
 * document from what the operation is (what the filter and the body parser really answer):
 * 400 where it reads a body or a query, 413 and 415 where it reads a body, 422 where well-formed
 * input can still be refused (references, cursors), 404 where the path names a row, 409 on
 * writes (a unique or foreign-key conflict).
 */
export function documentErrorAnswers(document: OpenAPIObject): void {
  const add = (responses: Record<string, unknown>, status: number, description: string) => {
    if (!responses[String(status)]) responses[String(status)] = { description, content: problemContent };
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item as Record<string, { requestBody?: unknown; parameters?: Array<{ in: string }>; responses?: Record<string, unknown>; security?: unknown[] }>)) {
      if (!op || typeof op !== 'object' || !('responses' in op)) continue;
      const responses = (op.responses ??= {});
      const params = op.parameters ?? [];
      const hasQuery = params.some((p) => p.in === 'query');
      const secured = (op.security?.length ?? 0) > 0;
      if (op.requestBody || hasQuery) add(responses, 400, 'Invalid input: it does not match the schema (errors[] names each field)');
      if (op.requestBody) {
        add(responses, 413, 'The request body is larger than the limit');
        add(responses, 415, 'The request body is not application/json');
      }
      if (secured && (op.requestBody || hasQuery)) add(responses, 422, 'Well-formed input that cannot be carried out (e.g. a reference to a row the tenant does not have)');
      if (secured && path.includes('{')) add(responses, 404, "No such row in the caller's tenant");
      if (secured && WRITE_METHODS.has(method)) add(responses, 409, 'The change conflicts with other rows');
    }
  }
}
