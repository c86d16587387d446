import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { DomainError, ValidationError, isForeignKeyViolation, isUniqueViolation } from '@herald/domain/tenancy';

interface HttpRequest {
  url: string;
  originalUrl?: string;
}

interface HttpResponse {
  setHeader(name: string, value: string): void;
  status(code: number): HttpResponse;
  type(contentType: string): HttpResponse;
  send(body: string): void;
}

/** RFC 9457 problem details; `errors` lists field problems on a 400. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: Array<{ path: string; message: string }>;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://herald.dev/problems/';

const TYPE_SLUG: Record<number, string> = {
  400: 'validation',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  500: 'internal',
};

export function problem(status: number, detail: string, instance: string, errors?: ProblemDetails['errors']): ProblemDetails {
  return {
    type: TYPE_SLUG[status] ? `${TYPE_BASE}${TYPE_SLUG[status]}` : 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance,
    ...(errors?.length ? { errors } : {}),
  };
}

function isHealthReport(response: unknown): boolean {
  return typeof response === 'object' && response !== null && 'status' in response && 'details' in response && 'error' in response;
}

/**
 * Every error of the native API as `application/problem+json`: domain errors with their status,
 * Nest's HTTP exceptions (bad JSON, unknown route) as they are, a unique or foreign-key
 * violation that slipped past the checks as a 409, anything else as a 500 without internals.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    const res = http.getResponse<HttpResponse>();
    if (exception instanceof HttpException && isHealthReport(exception.getResponse())) {
      // /health/ready's 503 is terminus' report of what is down: operators need it as it is.
      res.status(exception.getStatus()).type('application/json').send(JSON.stringify(exception.getResponse()));
      return;
    }
    const body = this.toProblem(exception, req.originalUrl ?? req.url);
    if (body.status >= 500) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    if (body.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="herald"');
    res.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }

  private toProblem(e: unknown, instance: string): ProblemDetails {
    if (e instanceof ValidationError) return problem(400, e.message, instance, e.errors);
    if (e instanceof DomainError) return problem(e.status, e.message, instance);
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const response = e.getResponse();
      const message =
        typeof response === 'object' && response !== null && 'message' in response
          ? String((response as { message: unknown }).message)
          : e.message;
      return problem(status, message, instance);
    }
    if (isUniqueViolation(e)) return problem(HttpStatus.CONFLICT, 'a resource with these values already exists', instance);
    if (isForeignKeyViolation(e)) return problem(HttpStatus.CONFLICT, 'the change conflicts with related resources', instance);
    return problem(HttpStatus.INTERNAL_SERVER_ERROR, 'an unexpected error occurred', instance);
  }
}
