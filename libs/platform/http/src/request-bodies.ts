import { BadRequestException, HttpException, PayloadTooLargeException } from '@nestjs/common';
import type { ApiErrorFilter } from './api-error.filter';
import { sendProblem, type ProblemDetails, type ProblemResponse } from './problem-details';

type Req = { headers: Record<string, string | string[] | undefined>; path: string; originalUrl?: string; url: string };
type Next = (e?: unknown) => void;

/** The parts of a Nest Express application this needs (created with `bodyParser: false`). */
export interface BodyParsingApp {
  use(handler: unknown): unknown;
  useBodyParser(type: 'json', options: { limit: number; type: string[] }): unknown;
}

export interface RequestBodyLimits {
  maxBytes: number;
  /** The filter of the API a path belongs to, when it answers in its own shape (a dialect); else problem+json. */
  apiOf: (path: string) => ApiErrorFilter | undefined;
  /** The native API's problem for an error. */
  problem: (error: unknown, instance: string) => ProblemDetails;
}

/** A body-parser error (bad JSON, too large…): it carries a 4xx status and a type. */
function parserStatus(err: unknown): number | null {
  const e = err as { status?: unknown; type?: unknown } | null;
  return typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && typeof e.type === 'string' ? e.status : null;
}

/**
 * JSON request bodies (`application/json`, `application/*+json`) up to `maxBytes` on every route
 * of an app: a body announced larger is refused before any of it is read, one that turns out
 * larger while being read as soon as it passes the limit. Both are a 413, bad JSON a 400, in the
 * error shape of the API the path belongs to (these refusals come before Nest picks a route, so
 * no controller's filter would see them).
 */
export function limitRequestBodies(app: BodyParsingApp, limits: RequestBodyLimits): void {
  const tooLarge = () => new PayloadTooLargeException(`the request body is larger than ${limits.maxBytes} bytes, the most this API takes`);
  app.use((req: Req, _res: unknown, next: Next) => {
    const announced = Number(req.headers['content-length']);
    next(Number.isFinite(announced) && announced > limits.maxBytes ? tooLarge() : undefined);
  });
  app.useBodyParser('json', { limit: limits.maxBytes, type: ['application/json', 'application/*+json'] });
  app.use((err: unknown, req: Req, res: ProblemResponse, next: Next) => {
    if (res.headersSent) return next(err);
    const status = parserStatus(err);
    const refusal = err instanceof HttpException ? err : status === 413 ? tooLarge() : status !== null ? new BadRequestException((err as Error).message) : err;
    const api = limits.apiOf(req.path);
    if (!api) return sendProblem(res, limits.problem(refusal, req.originalUrl ?? req.url));
    const answer = api.answerTo(refusal);
    res.status(answer.status).type('application/json').send(JSON.stringify(answer.body));
  });
}
