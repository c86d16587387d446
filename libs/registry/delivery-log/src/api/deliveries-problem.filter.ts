import { Catch, HttpException, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { ProblemDetailsExceptionFilter, fieldProblemsOf, httpExceptionProblem, problem, type FieldProblem, type ProblemDetails } from '@herald/platform/http';
import { ActiveJobExistsError } from '../jobs/resend-jobs.repository';
import { InvalidCursorError } from '../cursor';
import { ResendRefusedError } from '../hook-directory';
import { TooManyJobsError } from '../jobs/start-resend-job';

/** A request the zod schema refused: a 400 with one entry per field problem. */
export class RequestValidationError extends Error {
  constructor(
    readonly where: 'query' | 'body',
    readonly issues: FieldProblem[],
  ) {
    super(
      `invalid ${where}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
}

export function parseOr400<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: 'query' | 'body',
): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  throw new RequestValidationError(where, fieldProblemsOf(r.error));
}

/** `parseOr400` as a route parameter's pipe: `@Query(new ParseOr400Pipe(Schema, 'query')) q: Schema`. */
export class ParseOr400Pipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(
    private readonly schema: T,
    private readonly where: 'query' | 'body',
  ) {}

  transform(value: unknown): z.infer<T> {
    return parseOr400(this.schema, value, this.where);
  }
}

/** Not found for the caller's tenant (another tenant's id is simply not found). */
export class NotFoundProblem extends Error {}

const RESEND_STATUS: Record<ResendRefusedError['kind'], number> = {
  'delivery-not-found': 404,
  'hook-not-found': 404,
  'hook-inactive': 409,
  'no-body': 409,
};

/** RFC 9457 problem details for the deliveries endpoints. */
@Catch()
export class DeliveriesProblemFilter extends ProblemDetailsExceptionFilter {
  constructor() {
    super('DeliveriesProblem');
  }

  protected toProblem(e: unknown, instance: string): ProblemDetails {
    if (e instanceof RequestValidationError) return problem(400, e.message, instance, { errors: e.issues });
    if (e instanceof InvalidCursorError) return problem(400, e.message, instance, { errors: [{ path: 'cursor', message: e.message }] });
    if (e instanceof NotFoundProblem) return problem(404, e.message, instance);
    if (e instanceof ResendRefusedError) return problem(RESEND_STATUS[e.kind], e.message, instance);
    if (e instanceof ActiveJobExistsError) {
      const hook = /^\/v1\/webhooks\/([^/?]+)/.exec(instance)?.[1];
      const activeJob = e.activeJobId && hook ? { id: e.activeJobId, href: `/v1/webhooks/${hook}/jobs/${e.activeJobId}` } : null;
      return { ...problem(409, e.message, instance, { slug: 'job-in-progress' }), activeJob } as ProblemDetails;
    }
    if (e instanceof TooManyJobsError) return problem(429, e.message, instance, { slug: 'too-many-jobs' });
    if (e instanceof HttpException) return httpExceptionProblem(e, instance);
    return problem(500, 'internal error', instance);
  }
}
