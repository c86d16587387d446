import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { proprofsError } from '@herald/dialects/proprofs';
import { AuthenticationError, MissingScopeError } from '@herald/registry/principals';
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

interface Res {
  status(code: number): Res;
  json(body: unknown): void;
}

const STATUS_BY_KIND: Record<SubscriptionError['kind'], number> = {
  validation: 400,
  'url-refused': 400,
  'not-found': 404,
  conflict: 409,
  immutable: 400,
  'verification-failed': 400,
};

/**
 * Every error of the ProProfs routes as ProProfs' codes (400 field data / event, 401
 * authentication or permission, 404, 409 target URL not unique) with `{"error": "<why>"}`.
 */
@Catch()
export class ProProfsErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProProfsErrorFilter');

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Res>();
    const [status, message] = this.map(e);
    res.status(status).json(proprofsError(message));
  }

  private map(e: unknown): [number, string] {
    if (e instanceof ProProfsHttpError) return [e.status, e.message];
    // ProProfs answers 401 for "Authentication/Permission issue": a key without the webhooks scope too.
    if (e instanceof AuthenticationError || e instanceof MissingScopeError) return [401, e.message];
    if (e instanceof SubscriptionError) return [STATUS_BY_KIND[e.kind], e.message];
    if (e instanceof HttpException) return [e.getStatus(), e.message];
    this.logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return [500, 'internal error'];
  }
}
