import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ppmError } from '@herald/dialects/ppm-express';
import { AuthenticationError, MissingScopeError } from '@herald/registry/principals';
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

interface Res {
  status(code: number): Res;
  json(body: unknown): void;
}

const BY_KIND: Record<SubscriptionError['kind'], [number, string]> = {
  validation: [400, 'BadRequest'],
  'url-refused': [400, 'BadRequest'],
  immutable: [400, 'BadRequest'],
  'verification-failed': [400, 'BadRequest'],
  'not-found': [404, 'NotFound'],
  conflict: [409, 'Conflict'],
};

/** Every error of the PPM Express routes as `{"error": {code, message, details?}}` with its status. */
@Catch()
export class PpmErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('PpmErrorFilter');

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Res>();
    const err = this.map(e);
    res.status(err.status).json(ppmError(err.code, err.message, err.details));
  }

  private map(e: unknown): PpmHttpError {
    if (e instanceof PpmHttpError) return e;
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
    this.logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return new PpmHttpError(500, 'InternalServerError', 'internal error');
  }
}
