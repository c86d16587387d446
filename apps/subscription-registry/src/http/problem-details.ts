import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { SubscriptionError, type FieldIssue } from '@herald/registry/subscriptions';

interface HttpRequest {
  url: string;
  originalUrl?: string;
}

export interface HttpResponse {
  headersSent?: boolean;
  setHeader(name: string, value: string): void;
  status(code: number): HttpResponse;
  type(contentType: string): HttpResponse;
  send(body: string): void;
}

/** RFC 9457 problem details; `errors` lists the fields at fault on a 400. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: FieldIssue[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://herald.dev/problems/';

const SLUG_BY_STATUS: Record<number, string> = {
  400: 'validation',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  503: 'unavailable',
  500: 'internal',
};

/** The registry's own refusals: each kind its status and its problem type. */
const SUBSCRIPTION_ERRORS: Record<SubscriptionError['kind'], { status: number; slug: string }> = {
  validation: { status: 400, slug: 'validation' },
  'url-refused': { status: 400, slug: 'url-refused' },
  'not-found': { status: 404, slug: 'not-found' },
  immutable: { status: 422, slug: 'immutable-field' },
  'verification-failed': { status: 422, slug: 'endpoint-verification-failed' },
  conflict: { status: 409, slug: 'conflict' },
};

export function problem(status: number, detail: string, instance: string, extra: { slug?: string; errors?: FieldIssue[] } = {}): ProblemDetails {
  const slug = extra.slug ?? SLUG_BY_STATUS[status];
  return {
    type: slug ? `${TYPE_BASE}${slug}` : 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance,
    ...(extra.errors?.length ? { errors: extra.errors } : {}),
  };
}

export function sendProblem(res: HttpResponse, body: ProblemDetails): void {
  if (body.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="herald"');
  res.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** What any thrown value becomes: the registry's errors by kind, Nest's HTTP errors as they are, the rest a 500 without internals. */
export function toProblem(e: unknown, instance: string): ProblemDetails {
  if (e instanceof SubscriptionError) {
    const { status, slug } = SUBSCRIPTION_ERRORS[e.kind];
    return problem(status, e.message, instance, { slug, errors: 'issues' in e ? (e.issues as FieldIssue[]) : undefined });
  }
  if (e instanceof HttpException) {
    const response = e.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? [(response as { message: unknown }).message].flat().join('; ')
        : e.message;
    return problem(e.getStatus(), message, instance);
  }
  // body-parser's errors (bad JSON, too large) carry their status.
  const status = (e as { status?: unknown; type?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof (e as { type?: unknown }).type === 'string') {
    return problem(status, (e as Error).message, instance);
  }
  return problem(500, 'internal error', instance);
}

/** Every error of the native API as `application/problem+json`. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<HttpRequest>();
    const res = host.switchToHttp().getResponse<HttpResponse>();
    const body = toProblem(exception, req.originalUrl ?? req.url);
    // 503 is expected (principals still loading); every other 5xx is a bug worth a stack.
    if (body.status >= 500 && body.status !== 503) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    sendProblem(res, body);
  }
}
