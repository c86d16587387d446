import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiSecurity } from '@nestjs/swagger';
import { ProblemSchema } from './openapi-schemas';

const problem = (status: number, description: string) =>
  ApiResponse({ status, description, content: { 'application/problem+json': { schema: ProblemSchema } } });

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
