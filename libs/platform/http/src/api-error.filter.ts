import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { logRequestError } from './request-log';

/** An error as one API answers it: its status and its body, in that API's own shape. */
export interface ErrorAnswer {
  status: number;
  body: unknown;
}

interface JsonResponse {
  status(code: number): { json(body: unknown): void };
}

/**
 * The one way an API whose errors are not problem+json (each dialect) answers them: a subclass
 * maps what it knows (`answer`: its own refusals, the core's errors, Nest's HTTP errors) to its
 * shape; anything else is a bug — logged with its stack and answered with the API's own 500
 * (`internalError`), never with internals.
 */
@Catch()
export abstract class ApiErrorFilter implements ExceptionFilter {
  protected readonly logger: Logger;

  constructor(private readonly loggerContext: string) {
    this.logger = new Logger(loggerContext);
  }

  /** The answer to an error this API knows; undefined for anything else. */
  protected abstract answer(exception: unknown): ErrorAnswer | undefined;

  /** The API's answer to a bug. */
  protected abstract internalError(): ErrorAnswer;

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const answer = this.answerTo(exception, http.getRequest());
    http.getResponse<JsonResponse>().status(answer.status).json(answer.body);
  }

  /**
   * The API's answer to any error, for a caller outside Nest's routing (e.g. the body parser's
   * refusals, which come before a route is chosen): what `catch` sends.
   */
  answerTo(exception: unknown, req?: unknown): ErrorAnswer {
    const answer = this.answer(exception);
    if (answer) return answer;
    logRequestError(req, this.logger, this.loggerContext, exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return this.internalError();
  }
}
