import { Catch, HttpException } from '@nestjs/common';
import { WorksectionErrorCode, worksectionError, type WorksectionError } from '@herald/dialects/worksection';
import { ApiErrorFilter, type ErrorAnswer } from '@herald/platform/http';

/** A refusal in Worksection's envelope. */
export class WorksectionFailure extends Error {
  constructor(readonly body: WorksectionError) {
    super(body.message);
  }

  static of(code: number, message: string, details?: string): WorksectionFailure {
    return new WorksectionFailure(worksectionError(code, message, details));
  }
}

/** Every failure of the dialect in Worksection's envelope (HTTP 200, as Worksection answers). */
@Catch()
export class WorksectionErrorFilter extends ApiErrorFilter {
  constructor() {
    super('WorksectionErrorFilter');
  }

  protected answer(e: unknown): ErrorAnswer | undefined {
    if (e instanceof WorksectionFailure) return { status: 200, body: e.body };
    if (e instanceof HttpException) return { status: 200, body: worksectionError(WorksectionErrorCode.InvalidParameter, e.message) };
    return undefined;
  }

  protected internalError(): ErrorAnswer {
    return { status: 500, body: worksectionError(500, 'Internal error') };
  }
}
