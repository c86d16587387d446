import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { z } from 'zod';

/** One field at fault on a 400: its dotted path and what is wrong with it. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** RFC 9457 problem details; `errors` lists the fields at fault on a 400. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: FieldProblem[];
}

export interface ProblemRequest {
  url: string;
  originalUrl?: string;
}

export interface ProblemResponse {
  headersSent?: boolean;
  setHeader(name: string, value: string): void;
  status(code: number): ProblemResponse;
  type(contentType: string): ProblemResponse;
  send(body: string): void;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://herald.dev/problems/';

const SLUG_BY_STATUS: Record<number, string> = {
  400: 'validation',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  503: 'unavailable',
  500: 'internal',
};

/** A problem of `status`; its type is `slug` (or the status' own), `about:blank` for a status without one. */
export function problem(status: number, detail: string, instance: string, extra: { slug?: string; errors?: FieldProblem[] } = {}): ProblemDetails {
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

/** Nest's HTTP exceptions (guards, bad JSON, unknown route) keep their status and message. */
export function httpExceptionProblem(e: HttpException, instance: string): ProblemDetails {
  const response = e.getResponse();
  const message =
    typeof response === 'object' && response !== null && 'message' in response
      ? [(response as { message: unknown }).message].flat().join('; ')
      : e.message;
  return problem(e.getStatus(), message, instance);
}

/**
 * body-parser's refusals (malformed JSON 400, too large 413, unsupported charset 415, …): client
 * errors that carry their status and a `type` such as `entity.too.large`. Null for anything else.
 */
export function bodyParserProblem(e: unknown, instance: string): ProblemDetails | null {
  if (typeof e !== 'object' || e === null) return null;
  const { status, type, limit } = e as { status?: unknown; type?: unknown; limit?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500 || typeof type !== 'string') return null;
  if (type === 'entity.too.large' && typeof limit === 'number') {
    return problem(status, `the request body is larger than the ${limit} bytes this API accepts`, instance);
  }
  return problem(status, (e as Error).message, instance);
}

export function sendProblem(res: ProblemResponse, body: ProblemDetails): void {
  if (body.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="herald"');
  res.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** zod's issues as the fields at fault (`errors[]` of a 400), each path dotted after `prefix`. */
export function fieldProblemsOf(error: z.ZodError, prefix: (string | number)[] = []): FieldProblem[] {
  return error.issues.map((i) => ({ path: [...prefix, ...i.path].map(String).join('.'), message: i.message }));
}
