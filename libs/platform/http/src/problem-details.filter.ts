import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { sendProblem, type ProblemDetails, type ProblemRequest, type ProblemResponse } from './problem-details';
import { logRequestError } from './request-log';

/**
 * Every error of a native API as `application/problem+json`: a service says what its errors
 * become (`toProblem`); the filter answers, asks for credentials on a 401 and logs 5xx with a stack.
 */
@Catch()
export abstract class ProblemDetailsExceptionFilter implements ExceptionFilter {
  protected readonly logger: Logger;

  constructor(private readonly loggerContext = 'ProblemDetails') {
    this.logger = new Logger(loggerContext);
  }

  protected abstract toProblem(exception: unknown, instance: string): ProblemDetails;

  /** Whether this answer is a bug worth a stack in the log. */
  protected isWorthLogging(body: ProblemDetails): boolean {
    return body.status >= 500;
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<ProblemRequest>();
    const res = http.getResponse<ProblemResponse>();
    const body = this.toProblem(exception, req.originalUrl ?? req.url);
    if (this.isWorthLogging(body)) {
      logRequestError(req, this.logger, this.loggerContext, exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    sendProblem(res, body);
  }
}
