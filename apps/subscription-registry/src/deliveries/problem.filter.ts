import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { z } from 'zod';
import { InvalidCursorError, ResendRefusedError } from '@herald/registry/delivery-log';

/** A request the zod schema refused: a 400 with one entry per field problem. */
export class RequestValidationError extends Error {
  constructor(
    readonly where: 'query' | 'body',
    readonly issues: { path: string; message: string }[],
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
  throw new RequestValidationError(
    where,
    r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );
}

/** Not found for the caller's tenant (another tenant's id is simply not found). */
export class NotFoundProblem extends Error {}

const RESEND_STATUS: Record<ResendRefusedError['kind'], number> = {
  'delivery-not-found': 404,
  'hook-not-found': 404,
  'hook-inactive': 409,
  'no-body': 409,
};

const TYPE_BASE = 'https://herald.dev/problems/';

/** RFC 9457 problem details for the deliveries endpoints. */
@Catch()
export class DeliveriesProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('DeliveriesProblem');

  catch(e: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<{ originalUrl?: string; url: string }>();
    const res = http.getResponse<{
      status(code: number): { type(t: string): { send(b: string): void } };
      setHeader(n: string, v: string): void;
    }>();
    const { status, slug, detail, errors } = this.describe(e);
    if (status >= 500) this.logger.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="herald"');
    const body = {
      type: slug ? `${TYPE_BASE}${slug}` : 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail,
      instance: req.originalUrl ?? req.url,
      ...(errors?.length ? { errors } : {}),
    };
    res.status(status).type('application/problem+json').send(JSON.stringify(body));
  }

  private describe(e: unknown): {
    status: number;
    slug?: string;
    detail: string;
    errors?: { path: string; message: string }[];
  } {
    if (e instanceof RequestValidationError)
      return { status: 400, slug: 'validation', detail: e.message, errors: e.issues };
    if (e instanceof InvalidCursorError) {
      return {
        status: 400,
        slug: 'validation',
        detail: e.message,
        errors: [{ path: 'cursor', message: e.message }],
      };
    }
    if (e instanceof NotFoundProblem) return { status: 404, slug: 'not-found', detail: e.message };
    if (e instanceof ResendRefusedError) {
      const status = RESEND_STATUS[e.kind];
      return { status, slug: status === 404 ? 'not-found' : 'conflict', detail: e.message };
    }
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const r = e.getResponse();
      const detail =
        typeof r === 'object' && r !== null && 'message' in r
          ? String((r as { message: unknown }).message)
          : e.message;
      const slug = {
        400: 'validation',
        401: 'unauthenticated',
        403: 'forbidden',
        404: 'not-found',
        503: 'unavailable',
      }[status];
      return { status, slug, detail };
    }
    return { status: 500, slug: 'internal', detail: 'internal error' };
  }
}
