import { Catch, HttpException } from '@nestjs/common';
import type { z } from 'zod';
import { procoreError, validationErrors } from '@herald/dialects/procore';
import { ApiErrorFilter, type ErrorAnswer } from '@herald/platform/http';
import { SubscriptionError, type SubscriptionValidationError } from '@herald/registry/subscriptions';

/** A refusal in Procore's own body shape. */
export class ProcoreHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(JSON.stringify(body));
  }

  static validation(errors: Record<string, string[]>): ProcoreHttpError {
    return new ProcoreHttpError(400, validationErrors(errors));
  }

  static notFound(what: string): ProcoreHttpError {
    return new ProcoreHttpError(404, procoreError('not_found', `${what} not found`));
  }
}

/** Core setting names → the Procore field a client sent. */
const FIELD_NAMES: Record<string, string> = {
  url: 'destination_url',
  authorization: 'destination_headers.Authorization',
  payloadFormat: 'api_version',
  'formatOptions.namespace': 'namespace',
};

const fieldOf = (path: string) => FIELD_NAMES[path] ?? FIELD_NAMES[path.split('.')[0]] ?? (path || 'base');

/**
 * Procore's error bodies for every route of the dialect: validation → 400 `{"errors": {field:
 * [messages]}}`; anything else `{"error": {code, message, details}}` with its status.
 */
@Catch()
export class ProcoreErrorFilter extends ApiErrorFilter {
  constructor() {
    super('ProcoreErrorFilter');
  }

  protected internalError(): ErrorAnswer {
    return { status: 500, body: procoreError('internal_server_error', 'internal error') };
  }

  protected answer(e: unknown): ErrorAnswer | undefined {
    if (e instanceof ProcoreHttpError) return { status: e.status, body: e.body };
    if (e instanceof SubscriptionError) {
      switch (e.kind) {
        case 'validation': {
          const errors: Record<string, string[]> = {};
          for (const i of (e as SubscriptionValidationError).issues) (errors[fieldOf(i.path)] ??= []).push(i.message);
          return { status: 400, body: validationErrors(errors) };
        }
        case 'url-refused':
          return { status: 400, body: validationErrors({ destination_url: [e.message] }) };
        case 'immutable':
          return {
            status: 400,
            body: validationErrors({
              api_version: ['the payload version is fixed when a hook is created; delete the hook and create a new one to change it'],
            }),
          };
        case 'not-found':
          return { status: 404, body: procoreError('not_found', e.message) };
        case 'conflict':
          return { status: 409, body: procoreError('conflict', e.message) };
        case 'limit':
          return { status: 422, body: procoreError('limit_exceeded', e.message) };
        default:
          return { status: 400, body: procoreError('bad_request', e.message) };
      }
    }
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const code = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status === 404 ? 'not_found' : status === 503 ? 'unavailable' : 'error';
      return { status, body: procoreError(code, e.message) };
    }
    return undefined;
  }
}

export function zodErrors(error: { issues: { path: PropertyKey[]; message: string }[] }): ProcoreHttpError {
  const errors: Record<string, string[]> = {};
  for (const i of error.issues) (errors[i.path.map(String).join('.') || 'base'] ??= []).push(i.message);
  return ProcoreHttpError.validation(errors);
}

/** Parses with a zod schema or throws Procore's 400. */
export function parseBody<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw zodErrors(r.error);
  return r.data;
}
