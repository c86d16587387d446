/**
 * What the domain reports, independent of HTTP. The native API's problem+json filter answers with
 * its status (the problem's title is the status's own phrase); the CLI prints its message on one
 * line.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  constructor(
    readonly resourceType: string,
    readonly id: string,
  ) {
    super(`${resourceType} ${id} was not found`);
  }
}

export class ConflictError extends DomainError {
  readonly status = 409;
}

export interface FieldError {
  path: string;
  message: string;
}

/** A refusal that names the fields at fault (the problem's `errors`). */
abstract class FieldsError extends DomainError {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

export class ValidationError extends FieldsError {
  readonly status = 400;
}

/**
 * Input that matches the documented schema but cannot be carried out: a reference to a row the
 * tenant does not have, options that exclude each other, a change whose event would not fit.
 * 400 says "not what the schema describes"; 422 says "well-formed, and still refused".
 */
export class UnprocessableError extends FieldsError {
  readonly status = 422;
}

export class AuthenticationError extends DomainError {
  readonly status = 401;
}

export class PermissionError extends DomainError {
  readonly status = 403;
}

/**
 * The change is committed, but Kafka has not acknowledged it yet (a broker outage): services that
 * read it from Kafka may not know it. Retrying the same request answers once it is acknowledged.
 */
export class NotAcknowledgedError extends DomainError {
  readonly status = 503;
}

/** zod issues as field errors (`path` dotted, `(body)` for the whole input). */
export function fieldErrors(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): FieldError[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
}

/** Postgres unique violation (23505), e.g. a slug taken by a concurrent insert. */
export function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';
}

/** Postgres foreign-key violation (23503). */
export function isForeignKeyViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23503';
}
