import { Catch, HttpException } from '@nestjs/common';
import { ppmError } from '@herald/dialects/ppm-express';
import { ApiErrorFilter, type ErrorAnswer } from '@herald/platform/http';
import { AuthenticationError, MissingScopeError, PrincipalsLoadingError } from '@herald/registry/principals';
import { SubscriptionError, type SubscriptionValidationError } from '@herald/registry/subscriptions';

/** A refusal with its status, in PPM Express' body shape. */
export class PpmHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { target: string; message: string }[],
  ) {
    super(message);
  }
}

const BY_KIND: Record<SubscriptionError['kind'], [number, string]> = {
  validation: [400, 'BadRequest'],
  'url-refused': [400, 'BadRequest'],
  immutable: [400, 'BadRequest'],
  'verification-failed': [400, 'BadRequest'],
  'not-found': [404, 'NotFound'],
  conflict: [409, 'Conflict'],
  limit: [422, 'LimitExceeded'],
};

/** Every error of the PPM Express routes as `{"error": {code, message, details?}}` with its status. */
@Catch()
export class PpmErrorFilter extends ApiErrorFilter {
  constructor() {
    super('PpmErrorFilter');
  }

  protected answer(e: unknown): ErrorAnswer | undefined {
    const err = refusalOf(e);
    return err && { status: err.status, body: ppmError(err.code, err.message, err.details) };
  }

  protected internalError(): ErrorAnswer {
    return { status: 500, body: ppmError('InternalServerError', 'internal error') };
  }
}

function refusalOf(e: unknown): PpmHttpError | undefined {
  if (e instanceof PpmHttpError) return e;
  if (e instanceof PrincipalsLoadingError) return new PpmHttpError(503, 'ServiceUnavailable', e.message);
  if (e instanceof AuthenticationError) return new PpmHttpError(401, 'Unauthorized', e.message);
  if (e instanceof MissingScopeError) return new PpmHttpError(403, 'Forbidden', e.message);
  if (e instanceof SubscriptionError) {
    const [status, code] = BY_KIND[e.kind];
    const details = e.kind === 'validation' ? (e as SubscriptionValidationError).issues.map((i) => ({ target: i.path, message: i.message })) : undefined;
    return new PpmHttpError(status, code, e.message, details);
  }
  if (e instanceof HttpException) return new PpmHttpError(e.getStatus(), e.name.replace(/Exception$/, ''), e.message);
  // body-parser's errors (bad JSON, too large) carry their status.
  const status = (e as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) return new PpmHttpError(status, 'BadRequest', (e as Error).message);
  return undefined;
}
