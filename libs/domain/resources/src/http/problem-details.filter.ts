import { ArgumentsHost, Catch, HttpException, HttpStatus } from '@nestjs/common';
import {
  ProblemDetailsExceptionFilter,
  bodyParserProblem,
  httpExceptionProblem,
  problem,
  type ProblemDetails,
  type ProblemResponse,
} from '@herald/platform/http';
import { OutboxEventTooLargeError } from '@herald/domain/outbox';
import { DomainError, UnprocessableError, ValidationError, isForeignKeyViolation, isUniqueViolation } from '@herald/domain/tenancy';

function isHealthReport(response: unknown): boolean {
  return typeof response === 'object' && response !== null && 'status' in response && 'details' in response && 'error' in response;
}

/**
 * Every error of the native API as `application/problem+json`: domain errors with their status,
 * Nest's HTTP exceptions (unknown route) and body-parser's refusals (bad JSON 400, too large 413)
 * as they are, a change whose event would not fit in a Kafka message as a 422, a unique or
 * foreign-key violation that slipped past the checks as a 409, anything else as a 500 without
 * internals.
 */
@Catch()
export class ProblemDetailsFilter extends ProblemDetailsExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof HttpException && isHealthReport(exception.getResponse())) {
      // /health/ready's 503 is terminus' report of what is down: operators need it as it is.
      const res = host.switchToHttp().getResponse<ProblemResponse>();
      res.status(exception.getStatus()).type('application/json').send(JSON.stringify(exception.getResponse()));
      return;
    }
    super.catch(exception, host);
  }

  protected toProblem(e: unknown, instance: string): ProblemDetails {
    if (e instanceof ValidationError || e instanceof UnprocessableError) return problem(e.status, e.message, instance, { errors: e.errors });
    if (e instanceof DomainError) return problem(e.status, e.message, instance);
    if (e instanceof HttpException) return httpExceptionProblem(e, instance);
    const parserProblem = bodyParserProblem(e, instance);
    if (parserProblem) return parserProblem;
    if (e instanceof OutboxEventTooLargeError) return problem(422, `the change is too large: ${e.message}`, instance);
    if (isUniqueViolation(e)) return problem(HttpStatus.CONFLICT, 'a resource with these values already exists', instance);
    if (isForeignKeyViolation(e)) return problem(HttpStatus.CONFLICT, 'the change conflicts with related resources', instance);
    return problem(HttpStatus.INTERNAL_SERVER_ERROR, 'an unexpected error occurred', instance);
  }
}
