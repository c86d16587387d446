import { Catch, HttpException } from '@nestjs/common';
import { SubscriptionError, type FieldIssue } from '../model/errors';
import { ProblemDetailsExceptionFilter, httpExceptionProblem, problem, type ProblemDetails } from '@herald/platform/http';

/** The registry's own refusals: each kind its status and its problem type. */
const SUBSCRIPTION_ERRORS: Record<SubscriptionError['kind'], { status: number; slug: string }> = {
  validation: { status: 400, slug: 'validation' },
  'url-refused': { status: 400, slug: 'url-refused' },
  'not-found': { status: 404, slug: 'not-found' },
  immutable: { status: 422, slug: 'immutable-field' },
  'verification-failed': { status: 422, slug: 'endpoint-verification-failed' },
  conflict: { status: 409, slug: 'conflict' },
  limit: { status: 422, slug: 'limit-exceeded' },
};

/** What any thrown value becomes: the registry's errors by kind, Nest's HTTP errors as they are, the rest a 500 without internals. */
export function toProblem(e: unknown, instance: string): ProblemDetails {
  if (e instanceof SubscriptionError) {
    const { status, slug } = SUBSCRIPTION_ERRORS[e.kind];
    return problem(status, e.message, instance, { slug, errors: 'issues' in e ? (e.issues as FieldIssue[]) : undefined });
  }
  if (e instanceof HttpException) return httpExceptionProblem(e, instance);
  // body-parser's errors (bad JSON, too large) carry their status.
  const status = (e as { status?: unknown; type?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof (e as { type?: unknown }).type === 'string') {
    return problem(status, (e as Error).message, instance);
  }
  return problem(500, 'internal error', instance);
}

/** Every error of the native API as `application/problem+json`. */
@Catch()
export class ProblemDetailsFilter extends ProblemDetailsExceptionFilter {
  protected toProblem(e: unknown, instance: string): ProblemDetails {
    return toProblem(e, instance);
  }

  // 503 is expected (principals still loading); every other 5xx is a bug worth a stack.
  protected override isWorthLogging(body: ProblemDetails): boolean {
    return body.status >= 500 && body.status !== 503;
  }
}
