import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiResponse, ApiSecurity } from '@nestjs/swagger';
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
