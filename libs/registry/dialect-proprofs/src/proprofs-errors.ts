import { Catch, HttpException } from '@nestjs/common';
import { proprofsError } from '@herald/dialects/proprofs';
import { ApiErrorFilter, type ErrorAnswer } from '@herald/platform/http';
import { AuthenticationError, MissingScopeError, PrincipalsLoadingError } from '@herald/registry/principals';
import { SubscriptionError } from '@herald/registry/subscriptions';

/** A refusal with ProProfs' status code and body. */
export class ProProfsHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_BY_KIND: Record<SubscriptionError['kind'], number> = {
  validation: 400,
  'url-refused': 400,
  'not-found': 404,
  conflict: 409,
  immutable: 400,
  'verification-failed': 400,
  // ProProfs' codes have no quota: a refused subscribe is its "400 - Incorrect field data sent".
  limit: 400,
};

/**
 * Every error of the ProProfs routes as ProProfs' codes (400 field data / event, 401
 * authentication or permission, 404, 409 target URL not unique) with `{"error": "<why>"}`.
 */
@Catch()
export class ProProfsErrorFilter extends ApiErrorFilter {
  constructor() {
    super('ProProfsErrorFilter');
  }

  protected answer(e: unknown): ErrorAnswer | undefined {
    const status = statusOf(e);
    return status === undefined ? undefined : { status, body: proprofsError((e as Error).message) };
  }

  protected internalError(): ErrorAnswer {
    return { status: 500, body: proprofsError('internal error') };
  }
}

function statusOf(e: unknown): number | undefined {
  if (e instanceof ProProfsHttpError) return e.status;
  if (e instanceof PrincipalsLoadingError) return 503;
  // ProProfs answers 401 for "Authentication/Permission issue": a key without the webhooks scope too.
  if (e instanceof AuthenticationError || e instanceof MissingScopeError) return 401;
  if (e instanceof SubscriptionError) return STATUS_BY_KIND[e.kind];
  if (e instanceof HttpException) return e.getStatus();
  return undefined;
}
